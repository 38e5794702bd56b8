"""The part of PagerDuty's OpenAPI document that the simulator serves, kept in the repository.

`make_subset` keeps the operations of `SERVED_ROUTES` (every PagerDuty route the simulator answers),
their path-level fields, and every component they reference, transitively, in the full document's
order, so the same full document always gives the same subset. `info.x-source` records where the
full document came from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from starlette.routing import Route

SUBSET_RESOURCE = "pagerduty-openapi-subset.json"
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_COMPONENT_REF = re.compile(r"^#/components/(?P<section>[^/]+)/(?P<name>[^/]+)")


@dataclass(frozen=True)
class Source:
    """Where the full document came from: repository, path inside it, commit."""

    repository: str
    path: str
    commit: str

    @classmethod
    def from_source_md(cls, text: str) -> Source:
        """Read `repo: ...`, `path: ...`, `commit: ...` lines."""
        fields = dict(
            (key.strip(), value.strip())
            for key, _, value in (line.partition(":") for line in text.splitlines())
            if value
        )
        missing = [key for key in ("repo", "path", "commit") if key not in fields]
        if missing:
            raise ValueError(f"source description lacks {', '.join(missing)}")
        return cls(fields["repo"], fields["path"], fields["commit"])

    def as_json(self) -> dict[str, str]:
        return {"repository": self.repository, "path": self.path, "commit": self.commit}


def subset_path() -> Path:
    """The committed subset, shipped inside the package."""
    return Path(str(files("pagerduty_sim").joinpath(SUBSET_RESOURCE)))


def served_operations(routes: Iterable[Route]) -> list[tuple[str, str]]:
    """(path template, lower-case method) of every PagerDuty operation `routes` serve (pass
    `pagerduty_sim.http.endpoints.ROUTES`; the endpoints import this module, so it cannot import them)."""
    return sorted(
        (route.path, method.lower())
        for route in routes
        for method in route.methods or ()
        if method != "HEAD"  # starlette adds HEAD to every GET route
    )


def make_subset(
    document: dict[str, Any], operations: Iterable[tuple[str, str]], source: Source
) -> dict[str, Any]:
    """The operations' part of `document`, with every component they reference."""
    wanted = set(operations)
    absent = sorted(op for op in wanted if op[1] not in document.get("paths", {}).get(op[0], {}))
    if absent:
        raise ValueError(f"operations absent from the document: {absent}")
    paths = {
        path: {key: value for key, value in item.items() if key not in HTTP_METHODS or (path, key) in wanted}
        for path, item in document["paths"].items()
        if any(served_path == path for served_path, _ in wanted)
    }
    kept_tags = {tag for item in paths.values() for op in _operations(item) for tag in op.get("tags", [])}
    subset: dict[str, Any] = {
        "openapi": document["openapi"],
        "info": {
            **{key: value for key, value in document["info"].items() if key != "x-source"},
            "x-source": {
                **source.as_json(),
                "subset": "only the operations pagerduty-sim serves and the components they reference; "
                "made by tools/pagerduty-sim/scripts/openapi_subset.py",
            },
        },
    }
    for key in ("security", "servers"):
        if key in document:
            subset[key] = document[key]
    if "tags" in document:
        subset["tags"] = [tag for tag in document["tags"] if tag.get("name") in kept_tags]
    subset["components"] = _components(document, paths)
    subset["paths"] = paths
    return subset


def render(subset: dict[str, Any]) -> str:
    """The committed text: stable indentation, non-ASCII kept, one trailing newline."""
    return json.dumps(subset, indent=2, ensure_ascii=False) + "\n"


def unresolved_refs(document: dict[str, Any]) -> list[str]:
    """Every `$ref` in `document` that does not resolve inside it."""
    return sorted({ref for ref in _refs(document) if _resolve(document, ref) is None})


def _operations(item: dict[str, Any]) -> Iterator[dict[str, Any]]:
    return (value for key, value in item.items() if key in HTTP_METHODS)


def _components(document: dict[str, Any], paths: dict[str, Any]) -> dict[str, Any]:
    components = document.get("components", {})
    requirements = [*document.get("security", [])]
    for item in paths.values():
        requirements += [req for op in _operations(item) for req in op.get("security", [])]
    needed = {("securitySchemes", name) for requirement in requirements for name in requirement}
    pending: list[Any] = [paths]
    while pending:
        for ref in _refs(pending.pop()):
            match = _COMPONENT_REF.match(ref)
            if match is None:
                raise ValueError(f"reference outside the document's components: {ref}")
            key = (match["section"], _unescape(match["name"]))
            if key not in needed:
                needed.add(key)
                pending.append(components[key[0]][key[1]])
    return {
        section: {name: value for name, value in entries.items() if (section, name) in needed}
        for section, entries in components.items()
        if any(wanted_section == section for wanted_section, _ in needed)
    }


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _resolve(document: Any, ref: str) -> Any:
    if not ref.startswith("#/"):
        return None
    node = document
    for part in ref[2:].split("/"):
        key = _unescape(part)
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return None
    return node


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")
