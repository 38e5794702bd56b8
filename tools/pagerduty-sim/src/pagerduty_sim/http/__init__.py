"""The thin Starlette layer over the simulator: PagerDuty paths at the root, controls under /_sim/."""
