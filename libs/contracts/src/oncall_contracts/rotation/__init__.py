"""Rotation stream payloads, one module per major version."""
