"""PagerDuty operations at the JSON level, independent of any web framework."""
