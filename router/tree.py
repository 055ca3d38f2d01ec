"""The response tree as the executor and the shaper walk it: the objects at a plan path,
response paths as chains of pairs, and the representations an entity fetch sends."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from graphql import FieldNode, InlineFragmentNode, SelectionSetNode

Json = Any

Chain = tuple[Any, ...]
"""A response path as nested pairs, `((((), "users"), 0), "reviews")`: one step costs a
pair, not a copy of the path so far, for every object of every list. `path_of` makes
it a list where one is needed (errors, contextual arguments)."""


def path_of(chain: Chain) -> list[str | int]:
    out: list[str | int] = []
    while chain:
        chain, segment = chain
        out.append(segment)
    out.reverse()
    return out


def objects_in(tree: dict[str, Json], path: tuple[str, ...]) -> list[dict[str, Json]]:
    """The objects at a plan path (`@` = each list item), in response order."""
    current: list[Json] = [tree]
    i, end = 0, len(path)
    while i < end:
        segment = path[i]
        if segment == "@":
            current = [
                v for value in current if isinstance(value, list) for v in value if v is not None
            ]
        elif i + 1 < end and path[i + 1] == "@":
            # A list field and its items in one pass: most steps of a path are both.
            current = [
                v
                for value in current
                if isinstance(value, dict) and isinstance(items := value.get(segment), list)
                for v in items
                if v is not None
            ]
            i += 1
        else:
            current = [
                child
                for value in current
                if isinstance(value, dict) and (child := value.get(segment)) is not None
            ]
        i += 1
    return [v for v in current if isinstance(v, dict)]


def located(tree: dict[str, Json], path: tuple[str, ...]) -> list[tuple[dict[str, Json], Chain]]:
    """`objects_in` with each object's response path as a `Chain`."""
    current: list[tuple[Json, Chain]] = [(tree, ())]
    for segment in path:
        following: list[tuple[Json, Chain]] = []
        if segment == "@":
            for value, at in current:
                if isinstance(value, list):
                    following += [(v, (at, i)) for i, v in enumerate(value) if v is not None]
        else:
            for value, at in current:
                if isinstance(value, dict):
                    child = value.get(segment)
                    if child is not None:
                        following.append((child, (at, segment)))
        current = following
    return [(v, at) for v, at in current if isinstance(v, dict)]


class Places:
    """Where an entity fetch's objects sit in the response, worked out only when it is
    needed (an error's path, a contextual argument): walking the tree for the objects
    alone costs half as much."""

    def __init__(self, tree: dict[str, Json], paths: tuple[tuple[str, ...], ...]) -> None:
        self.tree = tree
        self.paths = paths
        self._found: list[tuple[dict[str, Json], Chain]] | None = None
        self._by_object: dict[int, list[Chain]] | None = None

    def _walk(self) -> list[tuple[dict[str, Json], Chain]]:
        if self._found is None:
            self._found = [f for path in self.paths for f in located(self.tree, path)]
        return self._found

    def in_order(self) -> list[Chain]:
        """The chain of each object `objects_in` gives over the paths, in its order."""
        return [chain for _, chain in self._walk()]

    def of(self, objects: list[dict[str, Json]]) -> list[Chain]:
        """Every place of each of `objects` (an object merged into two places has two)."""
        if self._by_object is None:
            self._by_object = {}
            for obj, chain in self._walk():
                self._by_object.setdefault(id(obj), []).append(chain)
        seen: set[int] = set()
        out: list[Chain] = []
        for obj in objects:
            if id(obj) not in seen:
                seen.add(id(obj))
                out += self._by_object.get(id(obj), [])
        return out


def objects_at(
    tree: dict[str, Json], path: tuple[str, ...]
) -> list[tuple[dict[str, Json], list[str | int]]]:
    """The objects at a plan path (`@` = each list item), with their response paths."""
    current: list[tuple[Json, list[str | int]]] = [(tree, [])]
    for segment in path:
        following: list[tuple[Json, list[str | int]]] = []
        for value, at in current:
            if segment == "@":
                if isinstance(value, list):
                    following.extend((v, [*at, i]) for i, v in enumerate(value) if v is not None)
            elif isinstance(value, dict) and value.get(segment) is not None:
                following.append((value[segment], [*at, segment]))
        current = following
    return [(v, at) for v, at in current if isinstance(v, dict)]


PROGRAMS = 64

Picks = tuple[tuple[str, str, "Picks | None"], ...]
"""A selection compiled for reading objects: (key in the tree, field name, nested picks)
per field, inline fragments flattened in."""


def picks(selections: Sequence[SelectionSetNode]) -> Picks:
    out: list[tuple[str, str, Picks | None]] = []
    for selection in selections:
        for sel in selection.selections:
            if isinstance(sel, FieldNode):
                nested = None if sel.selection_set is None else picks([sel.selection_set])
                out.append(((sel.alias or sel.name).value, sel.name.value, nested))
            elif isinstance(sel, InlineFragmentNode):
                out.extend(picks([sel.selection_set]))
    return tuple(out)


class Program:
    """The representation of an object of one type for one fetch: the fields of the
    `requires` fragments that apply to it, read under the router's aliases and sent
    under the fields' own names, when every key field of the applying `keys`
    fragments has a value.

    `write(obj)` makes it. For scalar keys and fields only (most entities'), that is a
    function written out for the program (`_flat_writer`): it runs for every object an
    entity fetch reads, and the general walk costs several calls per object."""

    __slots__ = ("keys", "requires", "wanted", "write")

    def __init__(self, requires: list[SelectionSetNode], keys: list[SelectionSetNode]) -> None:
        self.wanted = bool(requires)
        self.requires = picks(requires)
        self.keys = picks(keys)
        flat = all(nested is None for _, _, nested in (*self.requires, *self.keys))
        self.write: Callable[[dict[str, Json]], dict[str, Json] | None] = (
            _flat_writer(self.keys, self.requires) if self.wanted and flat else self.representation
        )

    def representation(self, obj: dict[str, Json]) -> dict[str, Json] | None:
        """None when the object has no representation: not of the entity type, or a key
        field null (the subgraph could not look it up; only the fields this fetch would
        add stay null)."""
        if not self.wanted or not complete(obj, self.keys):
            return None
        return pick(obj, self.requires)


def _flat_writer(keys: Picks, requires: Picks) -> Callable[[dict[str, Json]], Any]:
    """`Program.representation` for scalar picks, as straight-line code: only the
    router's own field names (through `repr`) go into its text."""
    lines = ["def write(obj):"]
    lines += [f"    if obj.get({key!r}) is None:\n        return None" for key, _, _ in keys]
    lines.append("    out = {}")
    lines += [
        f"    if {key!r} in obj:\n        out[{name!r}] = obj[{key!r}]" for key, name, _ in requires
    ]
    lines.append("    return out")
    names: dict[str, Any] = {}
    exec(compile("\n".join(lines) + "\n", "<representation>", "exec"), names)  # noqa: S102
    return names["write"]  # type: ignore[no-any-return]


def pick(obj: dict[str, Json], picks: Picks) -> dict[str, Json]:
    out: dict[str, Json] = {}
    for key, name, nested in picks:
        if key in obj:
            value = obj[key]
            if nested is not None and value is not None:
                value = pick_nested(value, nested)
            out[name] = value
    return out


def pick_nested(value: Json, picks: Picks) -> Json:
    if isinstance(value, list):
        return [pick_nested(v, picks) for v in value]
    return pick(value, picks) if isinstance(value, dict) else value


def complete(obj: Json, picks: Picks) -> bool:
    """Whether every field picked has a value (not null) in `obj`."""
    for key, _, nested in picks:
        value = obj.get(key) if isinstance(obj, dict) else None
        if value is None:
            return False
        if nested is not None:
            items = value if isinstance(value, list) else [value]
            if not all(complete(v, nested) for v in items):
                return False
    return True
