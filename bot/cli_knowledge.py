"""Placeholder until these sub-commands land."""


def register(sub) -> None:
    """Add this area's sub-commands to the parser."""
