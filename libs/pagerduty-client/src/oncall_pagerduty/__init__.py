"""oncall_pagerduty."""
