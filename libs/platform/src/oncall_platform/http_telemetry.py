"""FastAPI's own OpenTelemetry layer, switched off where the services instrument their apps.

FastAPI (0.16x) adds native tracing, metrics and logging middleware to every app by default, on the
global providers. The services already trace each request with `FastAPIInstrumentor` on their own
provider and time it with `oncall_platform.metrics.HttpMetrics`, so the native layer only doubled the
work per request (a second span, a second histogram) and exported nothing the service configured.
"""

from __future__ import annotations

from fastapi.telemetry import TelemetryConfig

NO_NATIVE_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}
