"""pd_sync_service."""
