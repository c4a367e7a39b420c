"""Placeholder: passage tables land with the knowledge base."""
