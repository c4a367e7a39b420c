"""The foundation every layer builds on: the neutral message types, settings, the clock and the database base.

Nothing here imports channels, outbound clients, handlers or the CLI, so knowledge/ and scheduler/ can rest on it.
"""
