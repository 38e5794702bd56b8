"""OpenTelemetry tracing and structured JSON logs with trace ids, set up once per process."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter

_STANDARD_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's copy of the message with terminal colours
}
# Libraries that attach their own text handlers; their records go to the root's JSON handler instead.
_LIBRARY_LOGGERS = ("faststream", "uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line, with the current trace and span ids when a span is recording."""

    def __init__(self, service_name: str) -> None:
        super().__init__()
        self._service_name = service_name

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self._service_name,
            "logger": record.name,
            "message": record.getMessage(),
        }
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            line["trace_id"] = format(span_context.trace_id, "032x")
            line["span_id"] = format(span_context.span_id, "016x")
        for key, value in vars(record).items():
            if key not in _STANDARD_RECORD_FIELDS and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_json_logging(service_name: str, level: str = "INFO") -> None:
    """Route every logger to stderr as JSON lines (replaces the root logger's handlers)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter(service_name))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in _LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        library.handlers.clear()
        library.propagate = True


def setup_telemetry(
    service_name: str,
    *,
    otlp_endpoint: str | None = None,
    span_exporter: SpanExporter | None = None,
    log_level: str = "INFO",
) -> TracerProvider:
    """Configure tracing (OTLP when `otlp_endpoint` is given) and JSON logs; return the provider.

    The global tracer provider can be set only once per process. When one is already set (a test
    session's in-memory exporter, say), the exporters are added to it instead of replacing it.
    """
    configure_json_logging(service_name, log_level)
    current = trace.get_tracer_provider()
    provider = (
        current
        if isinstance(current, TracerProvider)
        else TracerProvider(resource=Resource.create({"service.name": service_name}))
    )
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = otlp_endpoint.rstrip("/") + "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    if span_exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    if provider is not current:
        trace.set_tracer_provider(provider)
    return provider
