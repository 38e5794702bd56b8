"""The whole system as separate OS processes: the PagerDuty simulator, the three services and the web UI.

`LocalSystem(config).start()` starts the simulator (unless a real PagerDuty is configured), runs each
service's migrations, starts the services, and waits until every probe answers. `stop()` stops
exactly the processes it started, by pid, in reverse order.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from localsystem.processes import ManagedProcess, ProcessSpec, child_env, free_port, stop_all

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class ServiceDef:
    """How to run one service: its console command, the env names of its probe address, migrations."""

    name: str
    serve: tuple[str, ...]
    host_env: str
    port_env: str
    migrate: tuple[str, ...] | None = None
    probe_path: str = "/readyz"  # every service's readiness probe (oncall_platform.probes)
    database: bool = True  # the web UI has none: it reads and writes only through the REST API


ROTATION = ServiceDef(
    "rotation-service",
    ("rotation-service", "serve"),
    "ROTATION_SERVICE_HOST",
    "ROTATION_SERVICE_PORT",
    migrate=("rotation-service", "migrate"),
)
USER_PROVISIONER = ServiceDef(
    "user-provisioner",
    ("user-provisioner", "serve"),
    "USER_PROVISIONER_HOST",
    "USER_PROVISIONER_PORT",
    migrate=("user-provisioner", "migrate"),
)
PD_SYNC = ServiceDef(
    "pd-sync-service",
    ("pd-sync-service", "serve"),
    "PD_SYNC_SERVICE_HOST",
    "PD_SYNC_SERVICE_PORT",
    migrate=("pd-sync-service", "migrate"),
)
WEB = ServiceDef("oncall-web", ("oncall-web", "serve"), "WEB_HOST", "WEB_PORT", database=False)
SERVICES = (ROTATION, USER_PROVISIONER, PD_SYNC, WEB)
DATABASE_SERVICES = tuple(service for service in SERVICES if service.database)


@dataclass(frozen=True)
class DemoAccount:
    """The simulator's PagerDuty account; the key is a fresh random secret per system."""

    subdomain: str = "demo"
    api_key: str = field(default_factory=lambda: "sim-" + secrets.token_hex(10))
    region: str = "us"

    @property
    def owner_email(self) -> str:
        """The account owner's e-mail (every PagerDuty account has its owner user)."""
        return f"owner@{self.subdomain}.example.com"


@dataclass(frozen=True)
class SystemConfig:
    kafka_bootstrap_servers: str
    state_dir: Path
    database_urls: dict[str, str] = field(default_factory=dict)  # per service name; absent: SQLite
    topic_prefix: str = ""
    pagerduty_base_url: str | None = None  # a real PagerDuty; None starts the simulator
    # The simulator keeps its data in this file across restarts (as PagerDuty would); None: it starts empty.
    pagerduty_state_file: Path | None = None
    account: DemoAccount = field(default_factory=DemoAccount)
    extra_accounts: tuple[DemoAccount, ...] = ()  # more simulator accounts, each with its own key
    otlp_endpoint: str | None = None
    jwt_secret: str | None = None  # None: the service's development default (what `make token` signs with)
    ports: dict[str, int] = field(default_factory=dict)  # fixed ports by process name; else free ports
    extra_env: dict[str, str] = field(default_factory=dict)
    log_level: str = "INFO"
    services: tuple[str, ...] = tuple(service.name for service in SERVICES)  # a subset while debugging
    # Processes per service with a database: replica n > 1 runs as "<service>#<n>" on its own port.
    replicas: int = 1


class LocalSystem:
    def __init__(self, config: SystemConfig) -> None:
        self.config = config
        self.ports = {name: config.ports.get(name) or free_port() for name in _process_names()}
        for service in DATABASE_SERVICES:
            for replica in range(2, config.replicas + 1):
                self.ports[replica_name(service.name, replica)] = free_port()
        self.processes: dict[str, ManagedProcess] = {}

    @property
    def services(self) -> list[ServiceDef]:
        return [service for service in SERVICES if service.name in self.config.services]

    # addresses ---------------------------------------------------------------------------------
    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    @property
    def api_url(self) -> str:
        return self.url(ROTATION.name)

    @property
    def web_url(self) -> str:
        return self.url(WEB.name)

    @property
    def simulator_url(self) -> str:
        return self.config.pagerduty_base_url or self.url("pagerduty-sim")

    @property
    def simulator_eu_url(self) -> str | None:
        """The simulator's EU region (None with a real PagerDuty: its EU host is the real one)."""
        return None if self.config.pagerduty_base_url else self.url("pagerduty-sim") + "/eu"

    @property
    def log_dir(self) -> Path:
        return self.config.state_dir / "logs"

    # lifecycle ---------------------------------------------------------------------------------
    def start(self, ready_timeout_s: float = 90.0) -> None:
        """Start everything; on any failure stop what was started and re-raise."""
        try:
            if self.config.pagerduty_base_url is None:
                self._start(self._simulator_spec(), ready_timeout_s)
            for service in self.services:
                self._migrate(service)
            for service in self.services:
                for replica in range(1, (self.config.replicas if service.database else 1) + 1):
                    self._launch(self._service_spec(service, replica))
            for process in self.processes.values():
                process.wait_ready(ready_timeout_s)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        stop_all(list(self.processes.values()))

    def kill(self, name: str) -> None:
        """SIGKILL one process we started (a crash: no shutdown, no flushing)."""
        self.processes[name].kill()

    def start_again(self, name: str, ready_timeout_s: float = 90.0) -> None:
        """Start a stopped or killed process again with the same command, port and log file."""
        process = ManagedProcess(self.processes[name].spec)
        self.processes[name] = process
        process.start()
        process.wait_ready(ready_timeout_s)

    def replica_url(self, service_name: str, replica: int) -> str:
        return self.url(replica_name(service_name, replica))

    def dead_processes(self) -> list[str]:
        return [name for name, process in self.processes.items() if not process.alive()]

    def peak_rss_bytes(self) -> dict[str, int | None]:
        return {name: p.peak_rss_bytes() for name, p in self.processes.items() if name != "pagerduty-sim"}

    def token(self, email: str) -> str:
        """A bearer token for `email`, minted by `rotation-service token` with this system's secret."""
        env = child_env(self.service_env(ROTATION))
        result = subprocess.run(
            [str(BIN / "rotation-service"), "token", email],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode != 0:
            raise RuntimeError(f"rotation-service token failed: {result.stderr.strip()[-500:]}")
        return result.stdout.strip().splitlines()[-1]

    def cpu_seconds(self) -> dict[str, float | None]:
        return {name: p.cpu_seconds() for name, p in self.processes.items()}

    def service_env(self, service: ServiceDef | None = None, replica: int = 1) -> dict[str, str]:
        """The environment every service process gets (twelve-factor settings)."""
        env = {
            "ENVIRONMENT": "development",
            "LOG_LEVEL": self.config.log_level,
            "KAFKA_BOOTSTRAP_SERVERS": self.config.kafka_bootstrap_servers,
            "KAFKA_TOPIC_PREFIX": self.config.topic_prefix,
            "PAGERDUTY_BASE_URL": self.simulator_url,
            "ROTATION_API_URL": self.api_url,
            **self.config.extra_env,
        }
        if self.simulator_eu_url is not None:
            env["PAGERDUTY_EU_BASE_URL"] = self.simulator_eu_url
        if self.config.jwt_secret:
            env["JWT_SECRET"] = self.config.jwt_secret
        if self.config.otlp_endpoint:
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] = self.config.otlp_endpoint
            env["OTEL_BSP_SCHEDULE_DELAY"] = "200"  # spans reach the collector within a fraction of a second
        if service is not None:
            env[service.host_env] = "127.0.0.1"
            env[service.port_env] = str(self.ports[replica_name(service.name, replica)])
            env["OTEL_SERVICE_NAME"] = service.name
            database_url = self.config.database_urls.get(service.name)
            if database_url:
                env["DATABASE_URL"] = database_url
        return env

    # internals ---------------------------------------------------------------------------------
    def _simulator_spec(self) -> ProcessSpec:
        accounts = (self.config.account, *self.config.extra_accounts)
        account_flags = [
            flag
            for account in accounts
            for flag in (
                "--account",
                f"{account.subdomain}:{account.api_key}:{account.region}",
                "--owner",
                f"{account.subdomain}:{account.owner_email}",
            )
        ]
        state_file = self.config.pagerduty_state_file
        state_flags = ["--state-file", str(state_file)] if state_file else []
        return ProcessSpec(
            name="pagerduty-sim",
            argv=[
                str(BIN / "pagerduty-sim"),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.ports["pagerduty-sim"]),
                *account_flags,
                *state_flags,
            ],
            env=child_env({}),
            log_path=self.log_dir / "pagerduty-sim.log",
            probe_url=self.url("pagerduty-sim") + "/_sim/clock",
        )

    def _service_spec(self, service: ServiceDef, replica: int = 1) -> ProcessSpec:
        name = replica_name(service.name, replica)
        workdir = self.config.state_dir / service.name  # where a service's default SQLite file lands
        workdir.mkdir(parents=True, exist_ok=True)
        env = self.service_env(service, replica)
        if service.name not in self.config.database_urls:
            env.pop("DATABASE_URL", None)
            child = child_env(env)
            child.pop("DATABASE_URL", None)
        else:
            child = child_env(env)
        return ProcessSpec(
            name=name,
            argv=[str(BIN / service.serve[0]), *service.serve[1:]],
            env=child,
            log_path=self.log_dir / f"{name.replace('#', '-')}.log",
            probe_url=self.url(name) + service.probe_path,
            cwd=workdir,
        )

    def _migrate(self, service: ServiceDef) -> None:
        if service.migrate is None:
            return
        spec = self._service_spec(service)
        spec.name = f"{service.name} migrate"
        spec.argv = [str(BIN / service.migrate[0]), *service.migrate[1:]]
        spec.probe_url = None
        ManagedProcess(spec).run_to_completion()

    def _start(self, spec: ProcessSpec, ready_timeout_s: float) -> None:
        self._launch(spec)
        self.processes[spec.name].wait_ready(ready_timeout_s)

    def _launch(self, spec: ProcessSpec) -> None:
        process = ManagedProcess(spec)
        self.processes[spec.name] = process
        process.start()


def replica_name(service_name: str, replica: int) -> str:
    """The process name of a service's `replica`-th process (the first keeps the service's name)."""
    return service_name if replica == 1 else f"{service_name}#{replica}"


def _process_names() -> list[str]:
    return ["pagerduty-sim", *(service.name for service in SERVICES)]
