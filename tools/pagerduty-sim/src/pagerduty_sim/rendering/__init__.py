"""Pure rendering: schedule state + window + DST reading -> per-layer, override and final entries.

Work is proportional to the number of turns and restriction windows in the window, never to minutes.
"""

from pagerduty_sim.rendering.schedule import Rendering, render_layer, render_schedule
from pagerduty_sim.rendering.timeline import Entry, coverage_percentage
from pagerduty_sim.rendering.turns import DstReading

__all__ = ["DstReading", "Entry", "Rendering", "coverage_percentage", "render_layer", "render_schedule"]
