"""Pure core: desired PagerDuty schedule layers from folded rotation state, and the update plan."""
