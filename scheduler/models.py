"""Placeholder: reminder, target and outbox tables land with the scheduler."""
