"""The on-call scheduler's web UI: pages on the rotation service's public REST API."""
