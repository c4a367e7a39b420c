"""Placeholder until this handler lands."""

HANDLERS: list = []
