"""Run a query plan against the subgraphs and merge their answers into one tree.

A fetch that fails costs only the fields it would have supplied: they get errors that
say which subgraph failed and why, in the router's words. An exception that is not a
subgraph's failure is a fault of the router's: logged, and masked to the client.

An object whose key field came back null has no representation: it is not sent, and
only the fields that fetch would have added stay null. Fields the planner aliased
apart (`Fetch.renames`) are renamed back as each answer arrives. A fetch with
contextual arguments (`@fromContext`) reads them from each object's ancestor and
sends one request per distinct set of values. A field no subgraph may answer
(`Unreachable`) gets an error at each place it was asked.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import (
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    is_abstract_type,
)

from router import plan as p
from router.errors import internal_error, log_internal
from router.transport import REQUEST_ID, Transport, TransportError, to_json
from router.tree import PROGRAMS, Places, Program, objects_at, objects_in, path_of, pick, picks
from shared.codes import Code

Json = Any
FetchObserver = Callable[[str, float, bool], None]


@dataclass(eq=False)
class _Shared:
    """A subgraph request in flight and how many requests wait for it."""

    future: asyncio.Future[tuple[dict[str, Json], bytes | None]] | None = None
    waiters: int = 0


def _joinable(shared: _Shared) -> bool:
    """Whether a request that comes now may wait for `shared`: while it is in flight;
    once it has failed; once it has an answer only if that was written out for copies
    (else the first request may have merged it into its tree by now)."""
    future = shared.future
    if future is None or not future.done():
        return True
    if future.cancelled():
        return False
    return future.exception() is not None or future.result()[1] is not None


@dataclass
class _Batch:
    """The representations of one entity request, and who gets each answer."""

    context: dict[str, Json]
    reps: list[dict[str, Json]] = field(default_factory=list)
    owners: list[list[dict[str, Json]]] = field(default_factory=list)
    index: dict[bytes, int] = field(default_factory=dict)

    def add(self, signature: bytes, rep: dict[str, Json], owner: dict[str, Json]) -> None:
        """`owner`'s representation; the same entity reached from several places is
        asked for once."""
        at = self.index.get(signature)
        if at is None:
            at = self.index[signature] = len(self.reps)
            self.reps.append(rep)
            self.owners.append([])
        self.owners[at].append(owner)


@dataclass
class ExecutionState:
    tree: dict[str, Json] = field(default_factory=dict)
    errors: list[dict[str, Json]] = field(default_factory=list)


class Executor:
    def __init__(
        self,
        schema: GraphQLSchema,
        transports: Mapping[str, Transport],
        *,
        timeout: float | Mapping[str, float] = 30.0,
        observe: FetchObserver | None = None,
        deduplicate: bool = True,
    ) -> None:
        self.schema = schema
        self.transports = transports
        self.timeout = timeout
        self.observe = observe
        self.deduplicate = deduplicate
        self._in_flight: dict[bytes, _Shared] = {}

    def timeout_for(self, service: str) -> float:
        if isinstance(self.timeout, Mapping):
            return float(self.timeout.get(service, 30.0))
        return self.timeout

    async def execute(
        self,
        node: p.PlanNode | None,
        variables: Mapping[str, Json],
        headers: Mapping[str, str],
        state: ExecutionState,
    ) -> None:
        if node is None:
            return
        if isinstance(node, p.Sequence):
            for child in node.nodes:
                await self.execute(child, variables, headers, state)
        elif isinstance(node, p.Parallel):
            await together([self.execute(c, variables, headers, state) for c in node.nodes])
        elif isinstance(node, p.Flatten):
            await self.entity_fetch(node, variables, headers, state)
        elif isinstance(node, p.Unreachable):
            found = objects_at(state.tree, node.path)
            paths = [[*at, node.key] for _, at in found] or [
                [*(s for s in node.path if s != "@"), node.key]
            ]
            state.errors.extend({"message": node.message, "path": path} for path in paths)
        else:
            await self.root_fetch(node, variables, headers, state)

    async def call(
        self, fetch: p.Fetch, variables: dict[str, Json], headers: Mapping[str, str]
    ) -> dict[str, Json]:
        """The subgraph's response; raises when there is none to use.

        Identical query fetches in flight at once (same subgraph, document, variables
        and credentials) share one subgraph request, as in
        Apollo Router and Hive Gateway. Mutations are never shared.
        """
        if not self.deduplicate or fetch.mutation:
            return await self.send(fetch, variables, headers)
        # The request id differs on every request and changes no answer: not in the key.
        caller = sorted((k, v) for k, v in headers.items() if k != REQUEST_ID)
        try:
            key = orjson.dumps(
                [fetch.service, fetch.operation, variables, caller], option=orjson.OPT_SORT_KEYS
            )
        except TypeError:
            # Variables orjson cannot write (an integer over 64 bits) are still sent,
            # only not shared.
            return await self.send(fetch, variables, headers)
        shared = self._in_flight.get(key)
        if shared is not None and not _joinable(shared):
            shared = None
        first = shared is None
        if shared is None:
            shared = _Shared()
            shared.future = asyncio.ensure_future(self.send_once(fetch, variables, headers, shared))
            self._in_flight[key] = shared
            shared.future.add_done_callback(lambda _: self._forget(key, shared))
        assert shared.future is not None
        shared.waiters += 1
        try:
            answer, raw = await asyncio.shield(shared.future)
        finally:
            shared.waiters -= 1
            if shared.waiters == 0 and not shared.future.done():
                # Every request that wanted it was cancelled (deadline, disconnect):
                # the subgraph call goes too.
                shared.future.cancel()
        if first or raw is None:
            return answer
        # Each request merges into its own tree, so it gets its own objects, made
        # from the answer as it arrived (the first caller may have merged it since).
        copied: dict[str, Json] = orjson.loads(raw)
        return copied

    def _forget(self, key: bytes, shared: _Shared) -> None:
        if self._in_flight.get(key) is shared:
            del self._in_flight[key]
        assert shared.future is not None
        if not shared.future.cancelled():
            shared.future.exception()  # retrieved: a failure is reported by each waiter

    async def send_once(
        self,
        fetch: p.Fetch,
        variables: dict[str, Json],
        headers: Mapping[str, str],
        shared: _Shared,
    ) -> tuple[dict[str, Json], bytes | None]:
        """The answer, and its JSON for copies when more than one request waits for it
        (most fetches are nobody else's: they are not written out again). Without the
        JSON, a request that comes later does not join (`_joinable`)."""
        response = await self.send(fetch, variables, headers)
        return response, to_json(response) if shared.waiters > 1 else None

    async def send(
        self, fetch: p.Fetch, variables: dict[str, Json], headers: Mapping[str, str]
    ) -> dict[str, Json]:
        transport = self.transports.get(fetch.service)
        if transport is None:
            raise LookupError(f"no transport configured for subgraph {fetch.service!r}")
        request = {"query": fetch.operation, "variables": variables}
        limit = self.timeout_for(fetch.service)
        started = time.perf_counter()
        ok = False
        try:
            own = getattr(transport, "timeout", None)
            if isinstance(own, int | float) and own <= limit:
                # The transport's own deadline comes first: a second scope would only
                # cost its timer.
                response = await transport.fetch(request, headers)
            else:
                # A timeout scope, not `wait_for`: no task of its own for each fetch.
                async with asyncio.timeout(limit):
                    response = await transport.fetch(request, headers)
            if not isinstance(response, dict) or not isinstance(response.get("data"), dict | None):
                raise TransportError("malformed GraphQL response")
            ok = not response.get("errors")
            return response
        finally:
            if self.observe is not None:
                self.observe(fetch.service, time.perf_counter() - started, ok)

    async def root_fetch(
        self,
        fetch: p.Fetch,
        variables: Mapping[str, Json],
        headers: Mapping[str, str],
        state: ExecutionState,
    ) -> None:
        used = {v: variables[v] for v in fetch.variables if v in variables}
        try:
            response = await self.call(fetch, used, headers)
        except Exception as exc:
            paths: list[list[str | int]] = [[key] for key in fetch.response_keys]
            state.errors.extend(_failures(fetch.service, exc, paths, headers.get(REQUEST_ID)))
            return
        renames = dict(fetch.renames)
        merge(state.tree, _renamed(response.get("data") or {}, renames), self.schema)
        for error in response.get("errors") or ():
            path = _renamed_path(error.get("path"), renames)
            state.errors.append(_tag(error, fetch.service, path))

    async def entity_fetch(
        self,
        node: p.Flatten,
        variables: Mapping[str, Json],
        headers: Mapping[str, str],
        state: ExecutionState,
    ) -> None:
        fetch = node.node
        assert fetch.requires is not None
        # One request, or one per distinct set of contextual argument values.
        batches: dict[bytes, _Batch] = {}
        places = Places(state.tree, node.paths)
        objects = [o for path in node.paths for o in objects_in(state.tree, path)]
        chains = places.in_order() if fetch.contexts else []
        if not fetch.contexts and not fetch.typename_rewrite:
            batch = self.one_batch(fetch, objects)
            if batch.reps:
                await self.entity_batch(fetch, batch, variables, headers, state, places)
            return
        last: Json = None
        program = self.program(fetch, None)
        rewrite, contexts = fetch.typename_rewrite, fetch.contexts
        for n, obj in enumerate(objects):
            typename = obj.get("__typename")
            if typename != last:
                last = typename
                program = self.program(fetch, typename if isinstance(typename, str) else None)
            rep = program.write(obj)
            if rep is None:
                continue
            if rewrite:
                rep["__typename"] = rewrite
            if contexts:
                context = _context_values(state.tree, path_of(chains[n]), contexts)
                signature = orjson.dumps(context, option=orjson.OPT_SORT_KEYS)
            else:
                context, signature = {}, b""
            found = batches.get(signature)
            if found is None:
                found = batches[signature] = _Batch(context)
            found.add(orjson.dumps(rep, option=orjson.OPT_SORT_KEYS), rep, obj)
        await together(
            [
                self.entity_batch(fetch, b, variables, headers, state, places)
                for b in batches.values()
            ]
        )

    def one_batch(self, fetch: p.Fetch, objects: list[dict[str, Json]]) -> _Batch:
        """The one request of a fetch without contextual arguments or a rewritten type
        name, the common case, in a loop of its own (it runs for every object)."""
        batch = _Batch({})
        index, reps, owners = batch.index, batch.reps, batch.owners
        dumps = orjson.dumps
        last: Json = None
        program = self.program(fetch, None)
        for obj in objects:
            typename = obj.get("__typename")
            if typename != last:  # most objects of a fetch are of one type
                last = typename
                program = self.program(fetch, typename if isinstance(typename, str) else None)
            rep = program.write(obj)
            if rep is None:
                continue
            # Same entity reached from several places: ask for it once. A program
            # writes its fields in one order, so the same entity is the same bytes.
            sig = dumps(rep)
            at = index.get(sig)
            if at is None:
                index[sig] = len(reps)
                reps.append(rep)
                owners.append([obj])
            else:
                owners[at].append(obj)
        return batch

    async def entity_batch(
        self,
        fetch: p.Fetch,
        batch: _Batch,
        variables: Mapping[str, Json],
        headers: Mapping[str, str],
        state: ExecutionState,
        places: Places,
    ) -> None:
        owners = batch.owners
        used = {v: variables[v] for v in fetch.variables if v in variables}
        used.update(batch.context)
        used["representations"] = batch.reps
        try:
            response = await self.call(fetch, used, headers)
            entities = (response.get("data") or {}).get("_entities")
            if response.get("data") is not None and not isinstance(entities, list | None):
                raise TransportError("malformed _entities result")
        except Exception as exc:
            first_key = fetch.response_keys[:1]
            paths = [[*path_of(c), *first_key] for group in owners for c in places.of(group)]
            state.errors.extend(_failures(fetch.service, exc, paths, headers.get(REQUEST_ID)))
            return
        renames = dict(fetch.renames)
        schema = self.schema
        for entity, group in zip(entities or (), owners, strict=False):
            if isinstance(entity, dict):
                if renames:
                    entity = _renamed(entity, renames)
                fields = entity.keys()
                for obj in group:
                    if fields.isdisjoint(obj.keys()):
                        # Fields the object does not have yet, the usual answer: as
                        # `merge` would set each of them.
                        obj.update(entity)
                    else:
                        merge(obj, entity, schema)
        for error in response.get("errors") or ():
            epath = _renamed_path(error.get("path"), renames)
            if isinstance(epath, list) and len(epath) >= 2 and epath[0] == "_entities":
                i = epath[1]
                if isinstance(i, int) and i < len(owners):
                    for chain in places.of(owners[i]):
                        state.errors.append(
                            _tag(error, fetch.service, [*path_of(chain), *epath[2:]])
                        )
                    continue
            state.errors.append(_tag(error, fetch.service, None))

    def program(self, fetch: p.Fetch, typename: str | None) -> Program:
        """How an object of `typename` becomes `fetch`'s representation, worked out once
        per fetch of a kept plan and type name."""
        found: Program | None = fetch.compiled.get(typename)
        if found is None:
            found = Program(
                self.applying(typename, fetch.requires), self.applying(typename, fetch.keys)
            )
            # A subgraph names the types; only so many are kept, whatever it sends.
            if len(fetch.compiled) < PROGRAMS:
                fetch.compiled[typename] = found
        return found

    def applying(
        self, typename: Json, selection: SelectionSetNode | None
    ) -> list[SelectionSetNode]:
        """The selection sets of `selection`'s inline fragments whose type condition an
        object of `typename` meets."""
        if selection is None:
            return []
        return [
            sel.selection_set
            for sel in selection.selections
            if isinstance(sel, InlineFragmentNode)
            and sel.type_condition is not None
            and self.matches(typename, sel.type_condition.name.value)
        ]

    def matches(self, typename: Json, cond: str) -> bool:
        if not isinstance(typename, str):
            return False
        if typename == cond:
            return True
        cond_type = self.schema.get_type(cond)
        runtime = self.schema.get_type(typename)
        return (
            is_abstract_type(cond_type)
            and isinstance(runtime, GraphQLObjectType)
            and self.schema.is_sub_type(cond_type, runtime)
        )


async def together(steps: list[Coroutine[Any, Any, None]]) -> None:
    """Runs `steps` at once: the first in the calling task, the others each in a task
    of its own (one task fewer per parallel step than `gather`). When the first fails
    or is cancelled, so are the others: no work goes on that nobody waits for."""
    if not steps:
        return
    others = [asyncio.ensure_future(step) for step in steps[1:]]
    try:
        await steps[0]
    except BaseException:
        for task in others:
            task.cancel()
            task.add_done_callback(_retrieved)  # the first one's failure is the one told
        raise
    if others:
        await asyncio.gather(*others)


def _retrieved(task: asyncio.Future[None]) -> None:
    if not task.cancelled():
        task.exception()


def _context_values(
    tree: dict[str, Json],
    path: list[str | int],
    contexts: tuple[tuple[str, tuple[str, ...], SelectionSetNode], ...],
) -> dict[str, Json]:
    """The contextual arguments' values for the object at `path`: each read from the
    ancestor at its plan path (a prefix of `path`, one segment per level)."""
    values: dict[str, Json] = {}
    for variable, at, selection in contexts:
        ancestor: Json = tree
        for segment in path[: len(at)]:
            if isinstance(ancestor, dict) and isinstance(segment, str):
                ancestor = ancestor.get(segment)
            elif isinstance(ancestor, list) and isinstance(segment, int):
                ancestor = ancestor[segment]
            else:
                ancestor = None
        value: Json = pick(ancestor, picks([selection])) if isinstance(ancestor, dict) else {}
        # `{ locale }` gives the value of `locale`; a nested selection, its leaf.
        while isinstance(value, dict) and len(value) == 1:
            value = next(iter(value.values()))
        values[variable] = None if value == {} else value
    return values


def _renamed(value: Json, renames: Mapping[str, str]) -> Json:
    """A subgraph's data with the router's aliases (`Fetch.renames`) renamed back."""
    if not renames:
        return value
    if isinstance(value, list):
        return [_renamed(v, renames) for v in value]
    if isinstance(value, dict):
        return {renames.get(k, k): _renamed(v, renames) for k, v in value.items()}
    return value


def _renamed_path(path: Json, renames: Mapping[str, str]) -> Json:
    if not renames or not isinstance(path, list):
        return path
    return [renames.get(p, p) if isinstance(p, str) else p for p in path]


def merge(
    target: dict[str, Json], source: dict[str, Json], schema: GraphQLSchema | None = None
) -> None:
    for key, value in source.items():
        have = target.get(key)
        if have is None:
            target[key] = value
            continue
        # An @interfaceObject answers with the interface's name; keep the concrete one.
        if (
            key == "__typename"
            and schema is not None
            and is_abstract_type(schema.get_type(str(value)))
        ):
            continue
        if isinstance(have, dict) and isinstance(value, dict):
            merge(have, value, schema)
        elif isinstance(have, list) and isinstance(value, list) and len(have) == len(value):
            for i, (a, b) in enumerate(zip(have, value, strict=True)):
                if isinstance(a, dict) and isinstance(b, dict):
                    merge(a, b, schema)
                else:
                    have[i] = b
        else:
            target[key] = value


def _tag(error: Json, service: str, path: Json) -> dict[str, Json]:
    out: dict[str, Json] = {"message": str(error.get("message", "subgraph error"))}
    if path:
        out["path"] = list(path)
    extensions = dict(error.get("extensions") or {})
    extensions["serviceName"] = service
    out["extensions"] = extensions
    return out


def failure_reason(exc: BaseException) -> str | None:
    """Why a subgraph fetch failed, in words fit for a client, or None when the
    exception is no subgraph's failure but a fault of the router's own."""
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionError):
        return "unreachable"
    if isinstance(exc, TransportError):
        return str(exc)
    return None


def _failures(
    service: str, exc: BaseException, paths: list[list[str | int]], request_id: str | None
) -> list[dict[str, Json]]:
    reason = failure_reason(exc)
    if reason is None:
        log_internal("router.fetch_failed", exc, request_id, subgraph=service)
        return [internal_error(request_id, path) for path in paths]
    return [
        {
            "message": f"subgraph {service} failed: {reason}",
            "path": path,
            "extensions": {"serviceName": service, "code": str(Code.SUBGRAPH_FETCH_FAILED)},
        }
        for path in paths
    ]
