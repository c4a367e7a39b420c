"""Placeholder: processed-message records land with the channel adapters."""
