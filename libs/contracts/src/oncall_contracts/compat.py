"""JSON Schema snapshots of the payload models, and the backward-compatibility rules they obey.

A committed snapshot ``<type>.v<version>.json`` is the published contract of that version. The code's
schema for the same ``(type, version)`` may grow (new optional properties, wider types, more enum
values, a higher ``maxLength``) but must not remove a property, make one required, change a type, narrow
an enum or lower (or add) a ``maxLength``: that is a new version with an upcaster.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oncall_contracts.payload import Payload
from oncall_contracts.registry import EventRegistry

Schema = dict[str, Any]
_SNAPSHOT_NAME = re.compile(r"^(?P<type>[A-Za-z][A-Za-z0-9]*)\.v(?P<version>[1-9][0-9]*)\.json$")
_JSON_TYPE_OF = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}


def snapshot_name(event_type: str, version: int) -> str:
    return f"{event_type}.v{version}.json"


def schema_of(model: type[Payload]) -> Schema:
    """The snapshot of ``model``: its validation JSON Schema, with ``required`` always present."""
    schema = model.model_json_schema(mode="validation")
    schema.setdefault("required", [])
    schema["x-event-type"] = model.EVENT_TYPE
    schema["x-event-version"] = model.EVENT_VERSION
    return schema


def render(schema: Schema) -> str:
    """The canonical text of a snapshot file."""
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def compatibility_problems(old: Schema, new: Schema) -> list[str]:
    """Why ``new`` cannot read what was valid under ``old`` (the snapshot); empty when compatible."""
    return _SchemaPair(old, new).compare_objects(old, new, "")


@dataclass(frozen=True)
class _SchemaPair:
    old_root: Schema
    new_root: Schema

    def compare_objects(self, old: Schema, new: Schema, path: str) -> list[str]:
        old_properties: dict[str, Schema] = old.get("properties", {})
        new_properties: dict[str, Schema] = new.get("properties", {})
        old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
        problems = [
            f"property {path}{name} was removed" for name in old_properties if name not in new_properties
        ]
        for name in sorted(new_required - old_required):
            if name in old_properties:
                problems.append(f"property {path}{name} was optional and is now required")
            else:
                problems.append(f"new required property {path}{name} (older messages lack it)")
        for name in old_properties.keys() & new_properties.keys():
            problems += self.compare_nodes(old_properties[name], new_properties[name], f"{path}{name}")
        return sorted(problems)

    def compare_nodes(self, old: Schema, new: Schema, path: str) -> list[str]:
        new_alternatives = _alternatives(new, self.new_root)
        problems: list[str] = []
        for old_alternative in _alternatives(old, self.old_root):
            if "enum" in old_alternative or "const" in old_alternative:
                lost = [v for v in _enum_values(old_alternative) if not _admits(new_alternatives, v)]
                if lost:
                    problems.append(f"enum of {path} was narrowed: {lost!r} no longer accepted")
                continue
            match = next((n for n in new_alternatives if _covers(n, old_alternative)), None)
            if match is None:
                problems.append(
                    f"type of {path} changed: was {_describe(old_alternative)}, "
                    f"now {' | '.join(_describe(n) for n in new_alternatives)}"
                )
            elif old_alternative.get("type") == "object" and match.get("type") == "object":
                problems += self.compare_objects(old_alternative, match, f"{path}.")
            elif old_alternative.get("type") == "array" and match.get("type") == "array":
                problems += self.compare_nodes(
                    old_alternative.get("items", {}), match.get("items", {}), f"{path}[]"
                )
            elif old_alternative.get("type") == "string" and match.get("type") == "string":
                problems += _length_problems(old_alternative, match, path)
        return problems


def _resolve(node: Schema, root: Schema) -> Schema:
    while "$ref" in node:
        name = node["$ref"].removeprefix("#/$defs/")
        siblings = {key: value for key, value in node.items() if key != "$ref"}
        node = {**root.get("$defs", {})[name], **siblings}
    return node


def _alternatives(node: Schema, root: Schema) -> list[Schema]:
    node = _resolve(node, root)
    branches = node.get("anyOf") or node.get("oneOf")
    if branches is None:
        return [node]
    return [alternative for branch in branches for alternative in _alternatives(branch, root)]


def _enum_values(node: Schema) -> list[Any]:
    return [node["const"]] if "const" in node else list(node["enum"])


def _unconstrained(node: Schema) -> bool:
    return not ({"type", "enum", "const", "anyOf", "oneOf"} & node.keys())


def _admits(alternatives: Iterable[Schema], value: Any) -> bool:
    for node in alternatives:
        if _unconstrained(node):
            return True
        if "enum" in node or "const" in node:
            if value in _enum_values(node):
                return True
        elif _type_covers(node.get("type"), _JSON_TYPE_OF.get(type(value))):
            return True
    return False


def _type_covers(new_type: Any, old_type: Any) -> bool:
    return bool(new_type == old_type or (new_type == "number" and old_type == "integer"))


def _covers(new: Schema, old: Schema) -> bool:
    if _unconstrained(new):
        return True
    if "enum" in new or "const" in new or _unconstrained(old):
        return False
    same_format = "format" not in new or new.get("format") == old.get("format")
    return _type_covers(new.get("type"), old.get("type")) and same_format


def _length_problems(old: Schema, new: Schema, path: str) -> list[str]:
    old_max, new_max = old.get("maxLength", math.inf), new.get("maxLength", math.inf)
    if new_max < old_max:
        return [f"maxLength of {path} was lowered: was {old_max}, now {new_max}"]
    return []


def _describe(node: Schema) -> str:
    if "enum" in node or "const" in node:
        return f"enum {_enum_values(node)!r}"
    if _unconstrained(node):
        return "any"
    return f"{node['type']}({node['format']})" if "format" in node else str(node["type"])


def snapshot_problems(schemas_dir: Path, registry: EventRegistry) -> list[str]:
    """Every reason the snapshots in ``schemas_dir`` disagree with ``registry``; empty when in step."""
    problems: list[str] = []
    for model in registry.all_events():
        name = snapshot_name(model.EVENT_TYPE, model.EVENT_VERSION)
        path = schemas_dir / name
        if not path.exists():
            problems.append(f"{name}: no snapshot; run `contract_schemas.py generate`")
            continue
        committed = json.loads(path.read_text())
        current = schema_of(model)
        breaking = compatibility_problems(committed, current)
        problems += [f"{name}: incompatible: {problem}" for problem in breaking]
        if breaking:
            problems.append(f"{name}: a breaking change needs a new version and an upcaster")
        elif committed != current:
            problems.append(f"{name}: stale snapshot (compatible change); run `contract_schemas.py generate`")
    return problems + _orphan_problems(schemas_dir, registry)


def _orphan_problems(schemas_dir: Path, registry: EventRegistry) -> list[str]:
    known = {snapshot_name(m.EVENT_TYPE, m.EVENT_VERSION) for m in registry.all_events()}
    problems = []
    for path in sorted(schemas_dir.glob("*.json")):
        matched = _SNAPSHOT_NAME.match(path.name)
        if matched is None:
            problems.append(f"{path.name}: not a snapshot name (<Type>.v<version>.json)")
        elif path.name not in known and not _upcast_away(registry, matched["type"], int(matched["version"])):
            problems.append(f"{path.name}: no model and no upcaster for this published version")
    return problems


def _upcast_away(registry: EventRegistry, event_type: str, version: int) -> bool:
    return registry.upcaster_for(event_type, version) is not None


def write_snapshots(schemas_dir: Path, registry: EventRegistry, *, force: bool = False) -> list[str]:
    """Write every model's snapshot. Refuses (writing nothing, returning the problems) when a
    snapshot would be replaced by an incompatible schema, unless ``force``."""
    planned = {snapshot_name(m.EVENT_TYPE, m.EVENT_VERSION): schema_of(m) for m in registry.all_events()}
    problems: list[str] = []
    for name, schema in planned.items():
        path = schemas_dir / name
        if path.exists() and not force:
            breaking = compatibility_problems(json.loads(path.read_text()), schema)
            problems += [f"{name}: incompatible: {problem}" for problem in breaking]
    if problems:
        return [*problems, "refusing to overwrite: add a new version and an upcaster (or --force)"]
    schemas_dir.mkdir(parents=True, exist_ok=True)
    for name, schema in planned.items():
        (schemas_dir / name).write_text(render(schema))
    return []
