"""rotation_service."""
