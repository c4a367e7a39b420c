"""Deadline calendar, reminder scheduling and the delivery outbox."""
