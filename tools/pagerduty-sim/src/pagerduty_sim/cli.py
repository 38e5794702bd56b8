"""The `pagerduty-sim` console command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import uvicorn

from pagerduty_sim.config import parse_account, with_owners, with_read_only_keys
from pagerduty_sim.http.app import create_app
from pagerduty_sim.logs import log_json_lines
from pagerduty_sim.openapi import load_document
from pagerduty_sim.persistence import StateFileError, open_saver
from pagerduty_sim.rendering import DstReading
from pagerduty_sim.simulator import Simulator, SimulatorConfig


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pagerduty-sim", description="A local PagerDuty REST API v2.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--account", action="append", required=True, metavar="SUBDOMAIN:API_KEY[:REGION]")
    parser.add_argument("--read-only-key", action="append", default=[], metavar="SUBDOMAIN:KEY")
    parser.add_argument(
        "--owner", action="append", default=[], metavar="SUBDOMAIN:EMAIL", help="the account's owner user"
    )
    parser.add_argument("--dst", choices=[r.value for r in DstReading], default=DstReading.FIXED.value)
    parser.add_argument("--strict-from", action="store_true", help="require a valid From on POST /users")
    parser.add_argument(
        "--state-file",
        type=Path,
        help="keep users, schedules and overrides in this JSON file across restarts "
        "(loaded at start, saved shortly after writes and at shutdown)",
    )
    parser.add_argument(
        "--fresh", action="store_true", help="with --state-file: start empty, discarding what the file holds"
    )
    return parser


def config_from_args(args: argparse.Namespace) -> SimulatorConfig:
    accounts = with_read_only_keys([parse_account(spec) for spec in args.account], args.read_only_key)
    accounts = with_owners(accounts, args.owner)
    return SimulatorConfig(tuple(accounts), DstReading(args.dst), args.strict_from)


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.fresh and args.state_file is None:
        parser.error("--fresh needs --state-file")
    try:
        config = config_from_args(args)
    except ValueError as error:
        parser.error(str(error))
    log_json_lines()
    simulator = Simulator(config)
    saver = None
    if args.state_file is not None:
        try:
            saver = open_saver(simulator, args.state_file, fresh=args.fresh)
        except (StateFileError, OSError) as error:
            sys.exit(f"pagerduty-sim: {error}; --fresh starts empty instead")
    app = create_app(simulator, load_document(), saver)
    # uvloop and httptools: the simulator stands in for a remote service; its CPU is not the system's.
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, loop="uvloop", http="httptools")
