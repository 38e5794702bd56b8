"""oncall_platform."""
