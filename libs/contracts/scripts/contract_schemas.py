"""Generate or check the JSON Schema snapshots of the event contracts.

    uv run python libs/contracts/scripts/contract_schemas.py generate [--force]
    uv run python libs/contracts/scripts/contract_schemas.py check

``check`` exits 1 and prints one line per problem when a snapshot is missing, stale, orphaned or not
backward compatible with the code.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from oncall_contracts.compat import snapshot_problems, write_snapshots
from oncall_contracts.registry import default_registry

DEFAULT_SCHEMAS_DIR = Path(__file__).resolve().parents[1] / "schemas"


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--schemas-dir", type=Path, default=DEFAULT_SCHEMAS_DIR)
    commands = parser.add_subparsers(dest="command", required=True)
    generate = commands.add_parser("generate", help="write every snapshot")
    generate.add_argument("--force", action="store_true", help="overwrite even incompatible snapshots")
    commands.add_parser("check", help="fail on missing, stale or incompatible snapshots")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    arguments = _arguments(argv)
    registry = default_registry()
    if arguments.command == "generate":
        problems = write_snapshots(arguments.schemas_dir, registry, force=arguments.force)
    else:
        problems = snapshot_problems(arguments.schemas_dir, registry)
    for problem in problems:
        print(f"contract_schemas {arguments.command}: {problem}", file=sys.stderr)
    if not problems:
        print(f"contract_schemas {arguments.command}: {len(registry.all_events())} contracts ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
