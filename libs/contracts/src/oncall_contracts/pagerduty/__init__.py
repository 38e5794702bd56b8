"""PagerDuty stream payloads, one module per major version."""
