"""Each service's tables have a registry of their own; `schema` adds the platform's tables."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

from oncall_platform.tables import schema, service_registry


class ServiceA(SQLModel, registry=service_registry()):
    pass


class ServiceB(SQLModel, registry=service_registry()):
    pass


class RotationOfA(ServiceA, table=True):
    __tablename__ = "rotations"
    id: str = Field(primary_key=True)


class RotationOfB(ServiceB, table=True):
    __tablename__ = "rotations"
    rotation_id: str = Field(primary_key=True)
    name: str


def test_two_services_declare_tables_of_the_same_name_in_one_process() -> None:
    assert list(ServiceA.metadata.tables["rotations"].columns.keys()) == ["id"]
    assert list(ServiceB.metadata.tables["rotations"].columns.keys()) == ["rotation_id", "name"]
    assert "rotations" not in SQLModel.metadata.tables


def test_the_schema_of_a_service_is_its_tables_and_the_platforms() -> None:
    whole = schema(ServiceB.metadata)

    assert set(whole.tables) == {"rotations", "processed_events", "outbox_messages"}
    assert list(whole.tables["rotations"].columns.keys()) == ["rotation_id", "name"]
    assert "processed_events" not in ServiceB.metadata.tables
