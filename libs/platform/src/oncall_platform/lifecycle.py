"""One lifecycle for every service: the console command `<service> serve | migrate` (plus a service's own
commands), started and stopped in the same order everywhere.

`serve` starts, in order: telemetry and JSON logs, the declared Kafka topics, the database engine, the
Kafka brokers (consumers and producers), the background tasks (relays, workers, loops, and for a
service with a database the inbox pruning), and last HTTP.
A process without Kafka or a database (the web UI) skips those stages: its settings declare no topics
(`ProcessSettings`), its parts hold no engine and no broker, and it has no `migrate`.
It stops in reverse on SIGTERM or SIGINT: HTTP stops accepting connections and finishes the requests in
flight, background tasks are told to stop and finish the work in hand, brokers stop fetching and wait for
the handler in progress, then resources close and the spans are flushed. All of it shares one deadline,
`SHUTDOWN_GRACE_SECONDS` after the signal; whatever still runs then is cancelled.

Tests that run a service's parts in-process use `running(parts)`: the same stages in the same order,
without HTTP and signals.

`serve` never migrates: `migrate` does, before `serve` starts (an init container in Kubernetes, a step
of `make run`), so replicas never race to alter the schema.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import logging
import math
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import uvicorn
from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from oncall_platform import metrics, migrations, runtime
from oncall_platform.inbox_pruning import InboxPruner
from oncall_platform.kafka import ensure_topics
from oncall_platform.settings import ProcessSettings, ServiceSettings
from oncall_platform.telemetry import setup_telemetry

logger = logging.getLogger(__name__)

S = TypeVar("S", bound=ProcessSettings)
ASGIApp = Callable[..., Awaitable[None]]
# A background task runs until `stop` is set, then finishes the work in hand and returns.
Background = Callable[[asyncio.Event], Awaitable[None]]
Close = Callable[[], Awaitable[None]]
STARTUP_RETRY_SECONDS = 2.0


class Relay(Protocol):
    """An outbox relay (`oncall_platform.relay.OutboxRelay`) as far as the lifecycle is concerned."""

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set, then make one last round."""

    async def close(self) -> None:
        """Stop its producer (after `run` returned)."""


@dataclass
class Parts:
    """What a service's composition root hands `serve`, each part in the stage it starts in."""

    engine: AsyncEngine | None = None  # None: a process without a database (the web UI)
    http: ASGIApp | None = None  # None: a process without HTTP (e.g. `rotation-service relay`)
    brokers: Sequence[KafkaBroker] = ()
    # Outbox relays (each with a producer of its own) start before the brokers and stop after them and
    # after the background tasks, with one last round: what the work in hand committed goes out.
    relays: Sequence[Relay] = ()
    background: Mapping[str, Background] = field(default_factory=dict)
    close: Sequence[Close] = ()  # clients to close once the background tasks are done (before the engine)


Build = Callable[[S, TracerProvider], Parts]


@dataclass(frozen=True)
class Command(Generic[S]):
    """A service's own console command besides `serve` and `migrate`: either a plain function (`run`,
    e.g. `rotation-service token`) or other parts served with the same lifecycle (`serves`)."""

    help: str
    run: Callable[[S, argparse.Namespace], None] | None = None
    serves: Build[S] | None = None
    arguments: Callable[[argparse.ArgumentParser], object] = lambda parser: None


@dataclass(frozen=True)
class Migrations(Generic[S]):
    """A service's Alembic folder and the database it migrates."""

    schema: migrations.Schema
    database_url: Callable[[S], str]


@dataclass(frozen=True)
class ServiceDefinition(Generic[S]):
    """How to run one service: its settings, migrations, composition root and HTTP address."""

    name: str
    description: str
    settings: Callable[[], S]
    build: Build[S]
    address: Callable[[S], tuple[str, int]]
    migrations: Migrations[S] | None = None  # None: no database, no `migrate` command
    commands: Mapping[str, Command[S]] = field(default_factory=dict)


def describe_settings_error(error: ValidationError) -> str:
    """The settings a process cannot start without, named as the environment variables that set them."""
    problems = []
    for detail in error.errors():
        variable = "_".join(str(part) for part in detail["loc"]).upper() or "settings"
        problems.append(
            f"{variable} is not set" if detail["type"] == "missing" else f"{variable}: {detail['msg']}"
        )
    return "cannot start: " + "; ".join(problems)


def main(service: ServiceDefinition[S], argv: Sequence[str] | None = None) -> None:
    """The console entry point of `service`: parse `argv` and run the command."""
    parser = argparse.ArgumentParser(prog=service.name, description=service.description)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the service until SIGTERM (migrate first, if it has a database)")
    if service.migrations is not None:
        commands.add_parser("migrate", help="upgrade the database schema to the latest revision, then exit")
    for name, command in service.commands.items():
        command.arguments(commands.add_parser(name, help=command.help))
    arguments = parser.parse_args(argv)
    try:
        settings = service.settings()
    except ValidationError as error:
        parser.exit(2, f"{service.name}: {describe_settings_error(error)}\n")
    own = service.commands.get(arguments.command)
    if own is not None and own.run is not None:
        own.run(settings, arguments)
        return
    provider = setup_telemetry(
        service.name, otlp_endpoint=settings.otel_exporter_otlp_endpoint, log_level=settings.log_level
    )
    try:
        if arguments.command == "migrate" and service.migrations is not None:
            service.migrations.schema.upgrade(service.migrations.database_url(settings))
            logger.info("database schema is up to date")
        else:
            build = own.serves if own is not None and own.serves is not None else service.build
            runtime.run(serve(settings, provider, build, service.address(settings)))
    finally:
        provider.shutdown()  # flushes the spans still batched


async def serve(settings: S, provider: TracerProvider, build: Build[S], address: tuple[str, int]) -> None:
    """Start the stages in order, run until SIGTERM/SIGINT, stop them in reverse within the grace."""
    stopping = _Stopping(settings.shutdown_grace_seconds)
    stopping.install()
    async with contextlib.AsyncExitStack() as stages:
        declared = settings.declared_topics()
        if declared is not None:
            servers, specs = declared
            if not await _until_done(stopping, "Kafka topics", lambda: ensure_topics(servers, specs)):
                return
        parts = build(settings, provider)
        own = parts.background
        parts = dataclasses.replace(parts, background={**own, **_platform_background(settings, parts.engine)})
        tasks = await _start(
            stages, parts, stopping, lambda what, attempt: _until_done(stopping, what, attempt)
        )
        if tasks is None:
            return
        _freeze_startup_objects()
        if parts.http is None:
            logger.info("started")
            await stopping.wait_or(*tasks)
            logger.info("stopping", extra={"grace_seconds": settings.shutdown_grace_seconds})
        else:
            host, port = address
            server = _Server(_http_config(parts.http, host, port, settings.shutdown_grace_seconds))
            http = asyncio.create_task(server.serve(), name="http")
            logger.info("started", extra={"host": host, "port": port})
            await stopping.wait_or(http, *tasks)
            logger.info("stopping", extra={"grace_seconds": settings.shutdown_grace_seconds})
            server.should_exit = True
            await _within(stopping.remaining(), http)
    logger.info("stopped")


def _freeze_startup_objects() -> None:
    """Keep what start-up built (modules, classes, schemas, compiled statements: ~165,000 objects)
    out of the cyclic garbage collector's scans: a full collection over them took 245-270 ms here.
    Pauses are timed into `oncall_gc_pause_seconds` (under 25 ms each in the 2026-12-02 latency run)."""
    gc.collect()
    gc.freeze()
    metrics.observe_gc_pauses()


@contextlib.asynccontextmanager
async def running(parts: Parts, grace: float = 10.0) -> AsyncIterator[None]:
    """`parts` started as `serve` starts them after the topics (no HTTP, no signal handlers, a stage that
    fails to start raises), for the duration of the block; then stopped as `serve` stops them, within
    `grace` seconds. For tests that run a service's parts in-process."""
    stopping = _Stopping(grace)
    async with contextlib.AsyncExitStack() as stages:
        await _start(stages, parts, stopping, _at_once)
        yield


# How a stage's start is attempted: True once `attempt` succeeded, False if a stop came first.
Attempt = Callable[[str, Callable[[], Awaitable[Any]]], Awaitable[bool]]


async def _start(
    stages: contextlib.AsyncExitStack, parts: Parts, stopping: _Stopping, until_done: Attempt
) -> list[asyncio.Task[None]] | None:
    """Start the stages after the topics in order, pushing each one's stop onto `stages` (so they stop in
    reverse); the tasks of the relays and background tasks, or None if a stop came before all started."""
    engine = parts.engine
    if engine is not None:
        stages.push_async_callback(engine.dispose)
        if not await until_done("the database", lambda: _select_one(engine)):
            return None
    for close in parts.close:
        stages.push_async_callback(close)
    for relay in parts.relays:
        stages.push_async_callback(relay.close)
    relaying = _BackgroundTasks(_relay_tasks(parts.relays))
    stages.push_async_callback(relaying.stop, stopping)
    relaying.start()
    for broker in parts.brokers:
        stages.push_async_callback(_stop_broker, broker)
        if not await until_done("the Kafka broker", broker.start):
            return None
    background = _BackgroundTasks(parts.background)
    stages.push_async_callback(background.stop, stopping)
    background.start()
    return [*relaying.tasks, *background.tasks]


async def _at_once(what: str, attempt: Callable[[], Awaitable[Any]]) -> bool:
    await attempt()
    return True


class _Stopping:
    """The stop request (a signal) and the shared deadline every stage stops within."""

    def __init__(self, grace: float) -> None:
        self.grace = grace
        self.event = asyncio.Event()
        self._deadline: float | None = None

    def install(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.request)

    def request(self) -> None:
        if self._deadline is None:
            self._deadline = time.monotonic() + self.grace
        self.event.set()

    def remaining(self) -> float:
        if self._deadline is None:
            self.request()
        assert self._deadline is not None
        return max(0.0, self._deadline - time.monotonic())

    async def wait_or(self, *tasks: asyncio.Task[Any]) -> None:
        """Until a stop is requested, or a task ends by itself (a crash: logged, then stop)."""
        waiter = asyncio.create_task(self.event.wait())
        done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        for task in done - {waiter}:
            if not task.cancelled() and task.exception() is not None:
                logger.error("%s failed; stopping", task.get_name(), exc_info=task.exception())
            else:
                logger.error("%s ended by itself; stopping", task.get_name())
        self.request()


class _BackgroundTasks:
    def __init__(self, background: Mapping[str, Background]) -> None:
        self._background = background
        self._stop = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        for name, run in self._background.items():
            task = asyncio.ensure_future(run(self._stop))
            task.set_name(name)
            self.tasks.append(task)

    async def stop(self, stopping: _Stopping) -> None:
        self._stop.set()
        await _within(stopping.remaining(), *self.tasks)


async def _within(seconds: float, *tasks: asyncio.Task[Any]) -> None:
    """Wait for `tasks` up to `seconds`, then cancel what is left; a task's failure is logged."""
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=seconds)
    for task in pending:
        logger.warning("%s did not finish within the shutdown grace; cancelled", task.get_name())
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            logger.error("%s failed while stopping", task.get_name(), exc_info=task.exception())


async def _until_done(stopping: _Stopping, what: str, attempt: Callable[[], Awaitable[Any]]) -> bool:
    """Retry `attempt` until it succeeds (True) or a stop is requested (False): a dependency that is
    down at start-up delays the start instead of failing it."""
    while not stopping.event.is_set():
        try:
            await attempt()
            return True
        except Exception as error:
            logger.warning("waiting for %s: %s", what, f"{type(error).__name__}: {error}"[:300])
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.event.wait(), STARTUP_RETRY_SECONDS)
    return False


def _platform_background(settings: ProcessSettings, engine: AsyncEngine | None) -> dict[str, Background]:
    """What every service with a database runs besides its own work: the inbox pruning."""
    if engine is None or not isinstance(settings, ServiceSettings):
        return {}
    return {"inbox pruning": InboxPruner(engine, settings.inbox_retention()).run}


def _relay_tasks(relays: Sequence[Relay]) -> dict[str, Background]:
    if len(relays) == 1:
        return {"outbox relay": relays[0].run}
    return {f"outbox relay {number}": relay.run for number, relay in enumerate(relays, start=1)}


async def _select_one(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def _stop_broker(broker: KafkaBroker) -> None:
    await broker.stop()  # waits up to the broker's graceful_timeout for the handlers in progress


def _http_config(app: ASGIApp, host: str, port: int, grace: float) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,  # uvicorn's loggers propagate to the root logger's JSON handler
        lifespan="off",  # the stages above are the lifespan
        http=runtime.UVICORN_HTTP,
        timeout_graceful_shutdown=math.ceil(grace),
    )


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: `serve` owns the signals and the stop order."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield
