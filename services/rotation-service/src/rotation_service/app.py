"""The console entry point `rotation-service` (see entrypoints/cli.py)."""

from rotation_service.entrypoints.cli import main

__all__ = ["main"]
