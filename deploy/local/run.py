"""`make run`: the whole system locally as separate processes, until Ctrl-C or SIGTERM.

Kafka and PostgreSQL are already up (`make up`). This declares the topics, starts the PagerDuty
simulator (unless PAGERDUTY_BASE_URL names a real PagerDuty), runs the migrations, starts the three
services with their logs in .local/run/logs/, waits for their probes and prints where everything is.
Everything survives a restart, as it would in production: the services' databases, and the simulator's
account, key and data (.local/run/pagerduty-sim/). `make reset` (deploy/local/reset.py) forgets it all.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from dataclasses import asdict
from pathlib import Path
from types import FrameType

from localsystem.databases import database_name, ensure_databases, service_database_url
from localsystem.system import DATABASE_SERVICES, DemoAccount, LocalSystem, SystemConfig
from oncall_contracts.topics import Topics
from oncall_platform.kafka import ensure_topics

REPO = Path(__file__).resolve().parents[2]
STATE_DIR = REPO / ".local" / "run"  # everything a run keeps; `make reset` removes it
SYSTEM_FILE = STATE_DIR / "system.json"  # read by `make demo`
PID_FILE = STATE_DIR / "run.pid"  # while a run is up, so `make reset` can refuse
SIMULATOR_STATE_FILE = STATE_DIR / "pagerduty-sim" / "state.json"
SIMULATOR_ACCOUNT_FILE = STATE_DIR / "pagerduty-sim" / "account.json"
DEFAULT_PORTS = {
    "rotation-service": 8080,
    "pd-sync-service": 8081,
    "user-provisioner": 8082,
    "pagerduty-sim": 8090,
    "oncall-web": 8083,
}
PORT_ENV = {
    "rotation-service": "ROTATION_SERVICE_PORT",
    "pd-sync-service": "PD_SYNC_SERVICE_PORT",
    "user-provisioner": "USER_PROVISIONER_PORT",
    "pagerduty-sim": "PAGERDUTY_SIM_PORT",
    "oncall-web": "WEB_PORT",
}


class Stop(Exception):
    """SIGTERM or SIGINT arrived."""


def _on_signal(signum: int, frame: FrameType | None) -> None:
    raise Stop(signal.Signals(signum).name)


def config_from_env() -> SystemConfig:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    prefix = os.environ.get("KAFKA_TOPIC_PREFIX", "")
    asyncio.run(ensure_topics(bootstrap, Topics(prefix=prefix).specs()))
    return SystemConfig(
        kafka_bootstrap_servers=bootstrap,
        state_dir=STATE_DIR,
        database_urls=_databases(os.environ.get("DATABASE_URL", "")),
        topic_prefix=prefix,
        pagerduty_base_url=os.environ.get("PAGERDUTY_BASE_URL") or None,
        pagerduty_state_file=SIMULATOR_STATE_FILE,
        account=demo_account(),
        otlp_endpoint=os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None,
        ports={name: int(os.environ.get(PORT_ENV[name], port)) for name, port in DEFAULT_PORTS.items()},
    )


def demo_account() -> DemoAccount:
    """The simulator's account and key, the same on every run: the services keep the key with the
    rotations they sync, as the simulator keeps its users and schedules (until `make reset`)."""
    if SIMULATOR_ACCOUNT_FILE.exists():
        return DemoAccount(**json.loads(SIMULATOR_ACCOUNT_FILE.read_text()))
    account = DemoAccount()
    SIMULATOR_ACCOUNT_FILE.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(SIMULATOR_ACCOUNT_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(asdict(account), file)
    return account


def _databases(server_url: str) -> dict[str, str]:
    """One database per service on the DATABASE_URL server; none (SQLite files) without it."""
    if not server_url:
        return {}
    names = {service.name: database_name(service.name) for service in DATABASE_SERVICES}
    asyncio.run(ensure_databases(server_url, list(names.values())))
    return {service: service_database_url(server_url, name) for service, name in names.items()}


def write_system_file(system: LocalSystem) -> None:
    """Where the demo finds the API and the simulator's demo account (a local, throwaway key)."""
    account = system.config.account
    details = {
        "api_url": system.api_url,
        "simulator_url": None if system.config.pagerduty_base_url else system.simulator_url,
        "subdomain": account.subdomain,
        "api_key": account.api_key,
        "region": account.region,
    }
    SYSTEM_FILE.write_text(json.dumps(details, indent=2))
    SYSTEM_FILE.chmod(0o600)


def describe(system: LocalSystem) -> str:
    database = (
        "PostgreSQL (one database per service)" if system.config.database_urls else "SQLite in .local/run/"
    )
    lines = [
        "",
        "The on-call scheduler is running (Ctrl-C stops it).",
        f"  Web UI          {system.web_url}   (sign in with any e-mail address)",
        f"  REST API        {system.api_url}/v1/rotations",
        f"  API docs        {system.api_url}/docs",
        f"  PagerDuty       {system.simulator_url}"
        + (
            ""
            if system.config.pagerduty_base_url
            else f"  (simulator, account '{system.config.account.subdomain}')"
        ),
        f"  logs            {system.log_dir}/",
        f"  database        {database}",
        f"  Kafka           {system.config.kafka_bootstrap_servers}",
        "  a token         make token EMAIL=you@example.com   (then: Authorization: Bearer <token>)",
        "  a demo          make demo",
        "",
    ]
    return "\n".join(lines)


def supervise(system: LocalSystem) -> int:
    """Wait for a signal; if a process dies first, say which and return 1."""
    while True:
        dead = system.dead_processes()
        if dead:
            for name in dead:
                print(
                    f"{name} exited; last log lines:\n{system.processes[name].log_tail(20)}", file=sys.stderr
                )
            return 1
        time.sleep(1.0)


def main() -> int:
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    system: LocalSystem | None = None
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    PID_FILE.write_text(f"{os.getpid()}\n")
    try:
        system = LocalSystem(config_from_env())
        print("starting the simulator, the three services and the web UI ...", flush=True)
        system.start()
        write_system_file(system)
        print(describe(system), flush=True)
        return supervise(system)
    except Stop as stop:
        print(f"\n{stop}: stopping ...", flush=True)
        return 0
    finally:
        if system is not None:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not abandon the children
            system.stop()
            print("stopped.", flush=True)
        PID_FILE.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
