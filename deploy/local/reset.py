"""`make reset`: forget what `make run` kept, so the next run starts empty.

Removes .local/run/ (the simulator's account, key and data, the services' SQLite files, logs) and drops
the services' databases on the DATABASE_URL server when one is configured. Starts and stops nothing:
it refuses while `make run` is up, and Kafka and PostgreSQL stay as they are (`make down` stops them).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import asyncpg
from run import PID_FILE, STATE_DIR

from localsystem.databases import database_name, drop_databases
from localsystem.system import DATABASE_SERVICES


def running_pid() -> int | None:
    """The pid of a `make run` of this checkout that is still up, if any."""
    try:
        pid = int(PID_FILE.read_text().strip())
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if b"run.py" in command else None


def main() -> int:
    pid = running_pid()
    if pid is not None:
        print(f"make run is still running (pid {pid}): stop it with Ctrl-C first", file=sys.stderr)
        return 1
    server_url = os.environ.get("DATABASE_URL", "")
    if server_url:
        names = [database_name(service.name) for service in DATABASE_SERVICES]
        try:
            dropped = asyncio.run(drop_databases(server_url, names))
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            print(
                f"could not drop the services' databases on DATABASE_URL ({type(error).__name__}: {error});"
                " is PostgreSQL up (`make up`)? Nothing was removed.",
                file=sys.stderr,
            )
            return 1
        print(f"dropped databases: {', '.join(dropped) or 'none existed'}")
    if STATE_DIR.exists():
        shutil.rmtree(STATE_DIR)
        print(f"removed {STATE_DIR}")
    print("the next `make run` starts empty")
    return 0


if __name__ == "__main__":
    sys.exit(main())
