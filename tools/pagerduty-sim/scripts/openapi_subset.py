"""Make, or check, the committed subset of PagerDuty's OpenAPI document that the simulator serves.

    uv run python tools/pagerduty-sim/scripts/openapi_subset.py generate FULL_DOCUMENT [--source SOURCE.md]
    uv run python tools/pagerduty-sim/scripts/openapi_subset.py check FULL_DOCUMENT [--source SOURCE.md]

FULL_DOCUMENT is `reference/REST/openapiv3.json` of github.com/PagerDuty/api-schema. SOURCE.md (by
default the file of that name beside FULL_DOCUMENT) has `repo: `, `path: ` and `commit: ` lines; they
are recorded in the subset's `info.x-source`. `check` exits 1 when the committed subset differs from
what `generate` would write.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pagerduty_sim.http.endpoints import ROUTES
from pagerduty_sim.openapi_subset import Source, make_subset, render, served_operations, subset_path


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("command", choices=["generate", "check"])
    parser.add_argument("document", type=Path, help="PagerDuty's full OpenAPI document (openapiv3.json)")
    parser.add_argument("--source", type=Path, help="repo/path/commit lines (default: SOURCE.md beside it)")
    parser.add_argument("--output", type=Path, default=subset_path(), help="the committed subset")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    arguments = _arguments(argv)
    source_md = arguments.source or arguments.document.with_name("SOURCE.md")
    source = Source.from_source_md(source_md.read_text(encoding="utf-8"))
    document = json.loads(arguments.document.read_text(encoding="utf-8"))
    expected = render(make_subset(document, served_operations(ROUTES), source))
    target: Path = arguments.output
    if arguments.command == "generate":
        target.write_text(expected, encoding="utf-8")
        print(f"openapi_subset generate: wrote {target.name} ({len(expected):,} characters)")
        return 0
    current = target.read_text(encoding="utf-8") if target.is_file() else ""
    if current != expected:
        print(
            f"openapi_subset check: {target.name} differs from the subset of {arguments.document.name} "
            f"at {source.commit}; run `openapi_subset.py generate`",
            file=sys.stderr,
        )
        return 1
    print(
        f"openapi_subset check: {target.name} is the subset of {arguments.document.name} at {source.commit}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
