"""PagerDuty's official OpenAPI document (the committed subset the simulator serves): validating bodies."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from pagerduty_sim.openapi_subset import subset_path

DOCUMENT_URI = "urn:pagerduty:openapi"


class OpenApiDocument:
    """Validators for request and response bodies, compiled on first use and cached.

    OpenAPI 3.0 `nullable` is rewritten to JSON Schema, and a property whose description says it
    may be null (the document's ScheduleLayer `end`: "If `null`, the layer does not end") is
    treated as nullable, because the prose documents what the schema omits.
    """

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = _json_schema_dialect(document)
        resource = Resource.from_contents(self.document, default_specification=DRAFT7)
        self._registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, resource)
        self._validators: dict[str, Draft7Validator | None] = {}

    def request_errors(self, method: str, path: str, body: Any) -> list[str]:
        """Reasons `body` does not conform to the operation's request schema (empty when it does)."""
        pointer = f"/paths/{_escape(path)}/{method.lower()}/requestBody/content/application~1json/schema"
        return self._errors(pointer, body)

    def response_errors(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """Reasons `body` does not conform to the documented response for `status`.

        A status the operation does not document falls back to its other 2xx response (the document
        lists `GET /schedules/{id}/overrides` as 201 where PagerDuty answers 200).
        """
        responses = self.document["paths"][path][method.lower()]["responses"]
        key = str(status) if str(status) in responses else next(k for k in responses if k.startswith("2"))
        pointer = f"/paths/{_escape(path)}/{method.lower()}/responses/{key}/content/application~1json/schema"
        return self._errors(pointer, body)

    def schema_errors(self, component: str, body: Any) -> list[str]:
        """Reasons `body` does not conform to `#/components/schemas/<component>`."""
        return self._errors(f"/components/schemas/{component}", body)

    def _errors(self, pointer: str, body: Any) -> list[str]:
        validator = self._validator(pointer)
        if validator is None:
            return []
        return [_describe(error) for error in validator.iter_errors(body)]

    def _validator(self, pointer: str) -> Draft7Validator | None:
        if pointer not in self._validators:
            self._validators[pointer] = (
                Draft7Validator({"$ref": f"{DOCUMENT_URI}#{pointer}"}, registry=self._registry)
                if _resolve_pointer(self.document, pointer) is not None
                else None
            )
        return self._validators[pointer]


@cache
def load_document() -> OpenApiDocument:
    """The committed subset of PagerDuty's document (`openapi_subset`), parsed once."""
    return OpenApiDocument(json.loads(subset_path().read_text(encoding="utf-8")))


def _escape(path: str) -> str:
    return path.replace("~", "~0").replace("/", "~1")


def _resolve_pointer(document: Any, pointer: str) -> Any:
    node = document
    for part in pointer.strip("/").split("/"):
        key = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _describe(error: Any) -> str:
    location = "/".join(str(part) for part in error.absolute_path)
    return f"{location or 'body'}: {error.message}"


def _json_schema_dialect(node: Any) -> Any:
    if isinstance(node, list):
        return [_json_schema_dialect(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema_dialect(value) for key, value in node.items()}
    if isinstance(converted.get("properties"), dict):
        converted["properties"] = {
            name: _nullable_by_description(schema) for name, schema in converted["properties"].items()
        }
    if converted.pop("nullable", False) is True:
        return {"anyOf": [{"type": "null"}, converted]}
    return converted


def _nullable_by_description(schema: Any) -> Any:
    description = schema.get("description", "") if isinstance(schema, dict) else ""
    if isinstance(description, str) and (
        "If `null`" in description or "If null" in description or "Returns null" in description
    ):
        return {"anyOf": [{"type": "null"}, schema]}
    return schema
