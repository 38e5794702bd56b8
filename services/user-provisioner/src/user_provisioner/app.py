"""The console command `user-provisioner serve | migrate` (the platform's one service lifecycle)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from opentelemetry.sdk.trace import TracerProvider

from oncall_platform import lifecycle
from oncall_platform.probes import probe_app
from user_provisioner.bootstrap import bootstrap
from user_provisioner.migrate import SCHEMA
from user_provisioner.settings import ProvisionerSettings

SERVICE_NAME = "user-provisioner"


def parts(settings: ProvisionerSettings, tracer_provider: TracerProvider) -> lifecycle.Parts:
    """The provisioner's parts (`Provisioner.parts`) and `/healthz` + `/readyz`."""
    provisioner = bootstrap(settings, tracer_provider=tracer_provider)
    return dataclasses.replace(provisioner.parts(), http=probe_app(provisioner.broker, provisioner.engine))


SERVICE = lifecycle.ServiceDefinition(
    name=SERVICE_NAME,
    description="Creates rotation members as PagerDuty users.",
    settings=ProvisionerSettings,
    migrations=lifecycle.Migrations(SCHEMA, lambda settings: settings.database_url),
    build=parts,
    address=lambda settings: (settings.user_provisioner_host, settings.user_provisioner_port),
)


def main(argv: Sequence[str] | None = None) -> None:
    lifecycle.main(SERVICE, argv)
