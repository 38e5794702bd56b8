"""The pure simulator model: accounts, users, schedules, layer versions and overrides (no HTTP)."""
