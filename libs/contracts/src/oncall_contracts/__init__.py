"""oncall_contracts."""
