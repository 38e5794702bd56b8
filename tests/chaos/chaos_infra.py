"""The fault run's own Kafka broker and PostgreSQL server, started with the project's scripts on free
ports with their data under `.local/chaos/<run>/` (as root, PostgreSQL's in postgres.sh's folder for
root's clusters: the `postgres` user may not enter a private checkout), so stopping and restarting them
touches nothing else.
Each is stopped by the pid its script recorded (kafka.sh's pid file, PostgreSQL's postmaster.pid)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from localsystem.processes import free_port

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "deploy" / "local"
PG_ROOT_STATE = Path("/var/tmp/oncall-scheduler-pg")  # postgres.sh's home for root's clusters


@dataclass
class OwnInfra:
    state_dir: Path
    kafka_port: int = field(default_factory=free_port)
    kafka_controller_port: int = field(default_factory=free_port)
    pg_port: int = field(default_factory=free_port)
    log: list[str] = field(default_factory=list)

    @property
    def pg_state_dir(self) -> Path:
        if os.geteuid() == 0:
            return PG_ROOT_STATE / f"chaos-{os.getpid()}-{self.pg_port}"
        return self.state_dir / "pg"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def database_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.pg_port}/postgres"

    def _env(self) -> dict[str, str]:
        # The shared servers' addresses must not leak in: postgres.sh would use a server at DATABASE_URL.
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS"}}
        env.update(
            KAFKA_PORT=str(self.kafka_port),
            KAFKA_CONTROLLER_PORT=str(self.kafka_controller_port),
            KAFKA_STATE_DIR=str(self.state_dir / "kafka"),
            PG_PORT=str(self.pg_port),
            PG_STATE_DIR=str(self.pg_state_dir),
        )
        return env

    def _script(self, script: str, command: str) -> float:
        started = time.monotonic()
        result = subprocess.run(
            [str(SCRIPTS / script), command], env=self._env(), capture_output=True, text=True, timeout=180
        )
        if result.returncode != 0:
            raise RuntimeError(f"{script} {command} failed ({result.returncode}):\n{result.stderr[-2000:]}")
        took = time.monotonic() - started
        self.log.append(f"{script} {command}: {took:.1f} s")
        return took

    def start(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            PG_ROOT_STATE.mkdir(parents=True, exist_ok=True)
            PG_ROOT_STATE.chmod(0o755)  # the postgres user enters it, whatever root's umask
        try:
            self.start_kafka()
            self.start_postgres()
        except BaseException:
            self.stop()
            raise

    def start_kafka(self) -> float:
        return self._script("kafka.sh", "start")

    def stop_kafka(self) -> float:
        return self._script("kafka.sh", "stop")

    def start_postgres(self) -> float:
        return self._script("postgres.sh", "start")

    def stop_postgres(self) -> float:
        return self._script("postgres.sh", "stop")

    def stop(self) -> None:
        """Stop both (each script ends only the pid it recorded) and remove their data."""
        for stop in (self.stop_kafka, self.stop_postgres):
            try:
                stop()
            except Exception as error:  # a teardown must stop the other one too
                print(f"chaos infra: {error}")
        shutil.rmtree(self.pg_state_dir, ignore_errors=True)
        shutil.rmtree(self.state_dir, ignore_errors=True)
