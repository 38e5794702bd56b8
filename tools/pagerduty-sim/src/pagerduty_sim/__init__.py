"""pagerduty_sim."""
