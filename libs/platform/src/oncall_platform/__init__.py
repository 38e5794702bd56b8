"""Cross-cutting plumbing shared by the services: settings, telemetry, Kafka and the database.

Imported by services, never run. Nothing here connects or configures at import time.
"""
