"""Keeps child processes running (the subgraphs of `nexo serve --split`).

A child that exits is started again, after a delay that doubles with each quick failure
(an exit within `stable_after` seconds of its start). After `max_quick_failures` quick
failures in a row the supervisor gives up: it logs an error and calls `on_give_up`, and
`serve --split` then stops and exits non-zero, for systemd, Kubernetes or a person to
see, rather than serving a graph with a hole in it forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType

import structlog

log = structlog.get_logger("nexo.supervisor")


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    first_delay: float = 0.5
    """Seconds before the first restart; doubled for each further quick failure."""
    max_delay: float = 30.0
    stable_after: float = 30.0
    """A child that ran at least this long had no quick failure: the count starts anew."""
    max_quick_failures: int = 5

    def delay(self, quick_failures: int) -> float:
        return min(self.max_delay, self.first_delay * 2.0 ** max(quick_failures - 1, 0))


class GaveUp(Exception):
    """A child failed `max_quick_failures` times in a row: it is not restarted again."""

    def __init__(self, name: str, failures: int, returncode: int | None) -> None:
        super().__init__(
            f"{name} exited {failures} times in a row soon after starting (last exit code"
            f" {returncode}): not restarting it again"
        )
        self.name = name
        self.failures = failures
        self.returncode = returncode


@dataclass
class Child:
    name: str
    argv: tuple[str, ...]
    process: asyncio.subprocess.Process | None = None
    starts: int = 0
    quick_failures: int = 0
    exits: list[int | None] = field(default_factory=list)


class Supervisor:
    """`async with Supervisor({name: argv})`: the children run (and are restarted) inside
    the block; leaving it sends each SIGTERM, then SIGKILL after `stop_timeout`.

    `env` replaces the children's environment, `pass_fds` are inherited by them (the
    listening socket of `serve --workers`), and `on_exit(pid)` is called for each child
    process that ended, restarted or not (its multiprocess metric files are cleared)."""

    def __init__(
        self,
        commands: Mapping[str, Sequence[str]],
        *,
        policy: RestartPolicy | None = None,
        on_give_up: Callable[[GaveUp], None] | None = None,
        stop_timeout: float = 30.0,
        env: Mapping[str, str] | None = None,
        pass_fds: Collection[int] = (),
        on_exit: Callable[[int], None] | None = None,
    ) -> None:
        self.children = {name: Child(name, tuple(argv)) for name, argv in commands.items()}
        self.policy = policy or RestartPolicy()
        self.on_give_up = on_give_up
        self.stop_timeout = stop_timeout
        self.env = dict(env) if env is not None else None
        self.pass_fds = tuple(pass_fds)
        self.on_exit = on_exit
        self.gave_up: GaveUp | None = None
        self._stopping = asyncio.Event()
        self._watchers: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> Supervisor:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        try:
            for child in self.children.values():
                await self._spawn(child)
        except BaseException:
            await self.stop()
            raise
        self._watchers = [
            asyncio.create_task(self._watch(c), name=f"supervise {c.name}")
            for c in self.children.values()
        ]

    async def _spawn(self, child: Child) -> None:
        child.process = await asyncio.create_subprocess_exec(
            *child.argv, env=self.env, pass_fds=self.pass_fds
        )
        child.starts += 1
        if child.starts > 1:
            log.warning("child.restarted", child=child.name, pid=child.process.pid)

    async def _watch(self, child: Child) -> None:
        loop = asyncio.get_running_loop()
        policy = self.policy
        while True:
            assert child.process is not None
            started = loop.time()
            code = await child.process.wait()
            self._exited(child.process)
            if self._stopping.is_set():
                return
            child.exits.append(code)
            quick = loop.time() - started < policy.stable_after
            child.quick_failures = child.quick_failures + 1 if quick else 0
            if child.quick_failures >= policy.max_quick_failures:
                self.gave_up = GaveUp(child.name, child.quick_failures, code)
                log.error("child.gave_up", child=child.name, error=str(self.gave_up))
                if self.on_give_up is not None:
                    self.on_give_up(self.gave_up)
                return
            delay = policy.delay(child.quick_failures)
            log.warning("child.exited", child=child.name, returncode=code, restart_in=delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
                return
            await self._spawn(child)
            if self._stopping.is_set():  # stop() began while it was starting
                self._terminate(child)
                await child.process.wait()
                self._exited(child.process)
                return

    def _exited(self, process: asyncio.subprocess.Process) -> None:
        if self.on_exit is not None:
            try:
                self.on_exit(process.pid)
            except Exception:
                log.exception("child.on_exit_failed", pid=process.pid)

    def _terminate(self, child: Child) -> None:
        if child.process is not None and child.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                child.process.send_signal(signal.SIGTERM)

    async def stop(self) -> None:
        self._stopping.set()
        for child in self.children.values():
            self._terminate(child)
        waits = [
            asyncio.ensure_future(c.process.wait())
            for c in self.children.values()
            if c.process is not None
        ]
        if waits:
            _, late = await asyncio.wait(waits, timeout=self.stop_timeout)
            if late:
                for child in self.children.values():
                    if child.process is not None and child.process.returncode is None:
                        log.warning("child.killed", child=child.name, after=self.stop_timeout)
                        with contextlib.suppress(ProcessLookupError):
                            child.process.kill()
                await asyncio.wait(waits)
        for watcher in self._watchers:
            await watcher
