"""Platform simulators for tests, written from the published algorithms with `cryptography` primitives only."""
