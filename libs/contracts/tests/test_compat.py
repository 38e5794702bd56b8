import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from oncall_contracts.compat import compatibility_problems, snapshot_problems, write_snapshots
from oncall_contracts.registry import default_registry

LIBRARY = Path(__file__).resolve().parents[1]
COMMITTED_SCHEMAS = LIBRARY / "schemas"


@pytest.fixture
def schemas_dir(tmp_path: Path) -> Path:
    assert write_snapshots(tmp_path, default_registry()) == []
    return tmp_path


def _edit(schemas_dir: Path, name: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = schemas_dir / name
    schema = json.loads(path.read_text())
    change(schema)
    path.write_text(json.dumps(schema))


def test_the_committed_snapshots_match_the_code() -> None:
    assert snapshot_problems(COMMITTED_SCHEMAS, default_registry()) == []


def test_freshly_written_snapshots_pass_the_check(schemas_dir: Path) -> None:
    assert snapshot_problems(schemas_dir, default_registry()) == []
    assert len(list(schemas_dir.glob("*.json"))) == len(default_registry().all_events())


def test_a_snapshot_with_a_required_property_the_code_lacks_fails(schemas_dir: Path) -> None:
    def add_required_priority(schema: dict[str, Any]) -> None:
        schema["properties"]["priority"] = {"type": "integer"}
        schema["required"].append("priority")

    _edit(schemas_dir, "ShiftChanged.v1.json", add_required_priority)

    problems = snapshot_problems(schemas_dir, default_registry())

    assert "ShiftChanged.v1.json: incompatible: property priority was removed" in problems
    assert any("needs a new version and an upcaster" in problem for problem in problems)


def test_a_snapshot_lacking_a_required_property_the_code_has_fails(schemas_dir: Path) -> None:
    def drop_shift_id(schema: dict[str, Any]) -> None:
        del schema["properties"]["shift_id"]
        schema["required"].remove("shift_id")

    _edit(schemas_dir, "ShiftChanged.v1.json", drop_shift_id)

    problems = snapshot_problems(schemas_dir, default_registry())

    assert "ShiftChanged.v1.json: incompatible: new required property shift_id (older messages lack it)" in (
        problems
    )


def test_an_optional_property_made_required_fails(schemas_dir: Path) -> None:
    _edit(schemas_dir, "ShiftChanged.v1.json", lambda schema: schema["required"].remove("start"))

    problems = snapshot_problems(schemas_dir, default_registry())

    assert "ShiftChanged.v1.json: incompatible: property start was optional and is now required" in problems


def test_a_changed_field_type_fails(schemas_dir: Path) -> None:
    def revision_was_text(schema: dict[str, Any]) -> None:
        schema["properties"]["revision"] = {"type": "string"}

    _edit(schemas_dir, "ShiftChanged.v1.json", revision_was_text)

    problems = snapshot_problems(schemas_dir, default_registry())

    assert "ShiftChanged.v1.json: incompatible: type of revision changed: was string, now integer" in problems


def test_a_changed_type_inside_a_nested_model_fails(schemas_dir: Path) -> None:
    def start_was_integer(schema: dict[str, Any]) -> None:
        schema["$defs"]["CoverageWindow"]["properties"]["start"] = {"type": "integer"}

    _edit(schemas_dir, "IntegrationConfigured.v1.json", start_was_integer)

    problems = snapshot_problems(schemas_dir, default_registry())

    assert any("type of coverage.start changed: was integer" in problem for problem in problems)


def test_a_narrowed_enum_fails(schemas_dir: Path) -> None:
    def role_had_tertiary(schema: dict[str, Any]) -> None:
        schema["properties"]["role"]["enum"].append("tertiary")

    _edit(schemas_dir, "ScheduleSynced.v1.json", role_had_tertiary)

    problems = snapshot_problems(schemas_dir, default_registry())

    assert (
        "ScheduleSynced.v1.json: incompatible: enum of role was narrowed: ['tertiary'] no longer accepted"
        in (problems)
    )


def test_a_compatible_but_stale_snapshot_fails(schemas_dir: Path) -> None:
    def drop_optional_conflict(schema: dict[str, Any]) -> None:
        del schema["properties"]["conflict"]

    _edit(schemas_dir, "ShiftChanged.v1.json", drop_optional_conflict)

    problems = snapshot_problems(schemas_dir, default_registry())

    assert problems == [
        "ShiftChanged.v1.json: stale snapshot (compatible change); run `contract_schemas.py generate`"
    ]


def test_missing_and_orphaned_snapshots_fail(schemas_dir: Path) -> None:
    (schemas_dir / "MemberAdded.v1.json").unlink()
    (schemas_dir / "ShiftMoved.v1.json").write_text("{}")
    (schemas_dir / "notes.json").write_text("{}")

    problems = snapshot_problems(schemas_dir, default_registry())

    assert problems == [
        "MemberAdded.v1.json: no snapshot; run `contract_schemas.py generate`",
        "ShiftMoved.v1.json: no model and no upcaster for this published version",
        "notes.json: not a snapshot name (<Type>.v<version>.json)",
    ]


def test_generate_refuses_to_overwrite_an_incompatible_snapshot(schemas_dir: Path) -> None:
    _edit(schemas_dir, "ShiftChanged.v1.json", lambda schema: schema["required"].remove("start"))
    before = (schemas_dir / "ShiftChanged.v1.json").read_text()

    problems = write_snapshots(schemas_dir, default_registry())

    assert any("refusing to overwrite" in problem for problem in problems)
    assert (schemas_dir / "ShiftChanged.v1.json").read_text() == before
    assert write_snapshots(schemas_dir, default_registry(), force=True) == []
    assert snapshot_problems(schemas_dir, default_registry()) == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"type": "integer"}, {"type": "number"}),
        ({"type": "string"}, {"anyOf": [{"type": "string"}, {"type": "null"}]}),
        ({"enum": ["us", "eu"], "type": "string"}, {"enum": ["us", "eu", "au"], "type": "string"}),
        ({"const": "us", "type": "string"}, {"type": "string"}),
        ({"type": "string", "format": "date-time"}, {"type": "string"}),
        ({"type": "array", "items": {"type": "integer"}}, {"type": "array", "items": {"type": "number"}}),
        ({"type": "string", "maxLength": 100}, {"type": "string", "maxLength": 200}),
        ({"type": "string", "maxLength": 100}, {"type": "string"}),
    ],
)
def test_widening_a_property_is_compatible(old: dict[str, Any], new: dict[str, Any]) -> None:
    assert compatibility_problems(_with_property(old), _with_property(new)) == []


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ({"anyOf": [{"type": "string"}, {"type": "null"}]}, {"type": "string"}, "was null, now string"),
        ({"type": "string"}, {"type": "string", "format": "email"}, "was string, now string(email)"),
        ({"type": "string"}, {"enum": ["a"], "type": "string"}, "was string, now enum ['a']"),
        (
            {"type": "array", "items": {"type": "string"}},
            {"type": "array", "items": {"type": "integer"}},
            "x[]",
        ),
        ({"type": "string", "maxLength": 200}, {"type": "string", "maxLength": 100}, "was 200, now 100"),
        ({"type": "string"}, {"type": "string", "maxLength": 100}, "maxLength of x was lowered"),
    ],
)
def test_narrowing_a_property_is_incompatible(old: dict[str, Any], new: dict[str, Any], problem: str) -> None:
    problems = compatibility_problems(_with_property(old), _with_property(new))

    assert len(problems) == 1
    assert problem in problems[0]


def _with_property(node: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {"x": node}, "required": []}


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "contract_schemas", LIBRARY / "scripts" / "contract_schemas.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_script_checks_the_committed_snapshots(capsys: pytest.CaptureFixture[str]) -> None:
    assert _script().main(["check"]) == 0
    assert "contracts ok" in capsys.readouterr().out


def test_the_script_fails_with_one_line_per_problem(
    schemas_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (schemas_dir / "MemberAdded.v1.json").unlink()
    _edit(schemas_dir, "ShiftChanged.v1.json", lambda schema: schema["required"].remove("start"))

    exit_code = _script().main(["--schemas-dir", str(schemas_dir), "check"])

    errors = capsys.readouterr().err.splitlines()
    assert exit_code == 1
    assert (
        "contract_schemas check: MemberAdded.v1.json: no snapshot; run `contract_schemas.py generate`"
        in errors
    )
    assert any("ShiftChanged.v1.json: incompatible: property start" in line for line in errors)


def test_the_script_generates_into_a_directory(tmp_path: Path) -> None:
    assert _script().main(["--schemas-dir", str(tmp_path / "new"), "generate"]) == 0
    assert snapshot_problems(tmp_path / "new", default_registry()) == []
