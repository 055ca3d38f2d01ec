"""A field plan of the shaper (`router.shaping`) written out as a Python function.

`Shaper.complete_object` walks an object's plan field by field: for each, a tuple
unpacked and a few tests of what kind of field it is, though the answer is the same for
every object the plan ever completes. Profiling the router on list entity fetches found
that walk at a fifth of a request's instructions. A plan used often enough is therefore
written out once as straight-line code, one statement group per field, with the field's
kind decided when the code is written: a nullable scalar costs one dictionary lookup
and one store. The code does exactly what the walk does (the router's query, federation
suite, fuzz and shaping tests run both ways: the `shaping_mode` fixture); the walk stays
for plans used only a few times, where writing code would cost more than it saves.

Only constants chosen by the router go into the code's text (field names through
`repr`, indexes); everything else (types, selection sets, labels) is passed in by name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType

if TYPE_CHECKING:
    from router.shaping import Shaper, _FieldPlan, _ObjectLike

Compiled = Callable[["Shaper", dict[str, Any], Any], Any]
"""`(shaper, obj, path) -> dict | BUBBLE`: the object completed under the plan."""


def compile_plan(runtime: _ObjectLike, plan: list[_FieldPlan], bubble: object) -> Compiled:
    names: dict[str, Any] = {"BUBBLE": bubble}
    lines = ["def shaped(self, obj, path):", "    result = {}"]
    uses_complete = uses_object = False
    for i, (key, stored, fdef, sub_sets, label, raw, as_is, direct) in enumerate(plan):
        k, s = repr(key), repr(stored)
        if fdef is None:
            if isinstance(runtime, GraphQLObjectType):
                lines.append(f"    result[{k}] = {runtime.name!r}")
            else:
                # An interface name here means only an @interfaceObject answered.
                lines += [
                    "    t = obj.get('__typename')",
                    f"    result[{k}] = t if isinstance(t, str) else {runtime.name!r}",
                ]
            continue
        names[f"T{i}"], names[f"S{i}"], names[f"L{i}"] = fdef.type, sub_sets, label
        args = f"T{i}, S{i}, (path, {k}), L{i}, {raw}"
        if as_is and not isinstance(fdef.type, GraphQLNonNull):
            # A null completes to null at a nullable position: the value as it stands.
            lines.append(f"    result[{k}] = obj.get({s})")
            continue
        uses_complete = True
        if as_is:
            lines += [
                f"    v = obj.get({s})",
                "    if v is None:",
                f"        v = complete(None, {args})",
                "        if v is BUBBLE:",
                "            return BUBBLE",
                f"    result[{k}] = v",
            ]
        elif direct is not None:
            # The object's own plan, once written out, is called without the
            # shaper's lookup (`H`: found once, kept with this code).
            uses_object = True
            names[f"D{i}"], names[f"H{i}"] = direct, [None]
            lines += [
                f"    v = obj.get({s})",
                "    if isinstance(v, dict):",
                f"        c = H{i}[0] or self.written(D{i}, S{i}, {raw}, H{i})",
                "        if c is not None:",
                f"            v = c(self, v, (path, {k}))",
                "        else:",
                f"            v = complete_object(v, D{i}, S{i}, (path, {k}), {raw})",
                "        if not isinstance(v, dict):",
                f"            v = self._nulled(T{i}, D{i}, (path, {k}), L{i})",
                "    else:",
                f"        v = complete(v, {args})",
                "    if v is BUBBLE:",
                "        return BUBBLE",
                f"    result[{k}] = v",
            ]
        elif (items := _object_items(fdef.type)) is not None:
            # A list of objects of one object type, as `Shaper.complete` completes it,
            # each item by its plan's code once that is written out.
            nullable, item_type, inner = items
            names[f"N{i}"], names[f"I{i}"], names[f"O{i}"], names[f"H{i}"] = (
                nullable,
                item_type,
                inner,
                [None],
            )
            lines += [
                f"    v = obj.get({s})",
                f"    p = (path, {k})",
                f"    c = H{i}[0] or self.written(O{i}, S{i}, {raw}, H{i})",
                "    if c is not None and isinstance(v, list):",
                "        items = []",
                "        bubbled = False",
                "        for j, item in enumerate(v):",
                "            if isinstance(item, dict):",
                "                done = c(self, item, (p, j))",
                "                if not isinstance(done, dict):",
                f"                    done = self._nulled(I{i}, O{i}, (p, j), L{i})",
                "            else:",
                f"                done = complete(item, I{i}, S{i}, (p, j), L{i}, {raw})",
                "            if done is BUBBLE:",
                "                bubbled = True",
                "            items.append(done)",
                f"        v = self._nulled(T{i}, N{i}, p, L{i}) if bubbled else items",
                "    else:",
                f"        v = complete(v, T{i}, S{i}, p, L{i}, {raw})",
                "    if v is BUBBLE:",
                "        return BUBBLE",
                f"    result[{k}] = v",
            ]
        else:
            lines += [
                f"    v = complete(obj.get({s}), {args})",
                "    if v is BUBBLE:",
                "        return BUBBLE",
                f"    result[{k}] = v",
            ]
    prologue = []
    if uses_complete:
        prologue.append("    complete = self.complete")
    if uses_object:
        prologue.append("    complete_object = self.complete_object")
    source = "\n".join([lines[0], *prologue, *lines[1:], "    return result", ""])
    exec(compile(source, f"<shape {runtime.name}>", "exec"), names)  # noqa: S102
    fn: Compiled = names["shaped"]
    return fn


def _object_items(t: Any) -> tuple[Any, Any, GraphQLObjectType] | None:
    """For a list of objects of one object type (`[T]`, `[T!]!`...): the list type
    without its non-null, the item type, and the object type; else None."""
    nullable = t.of_type if isinstance(t, GraphQLNonNull) else t
    if not isinstance(nullable, GraphQLList):
        return None
    item_type = nullable.of_type
    inner = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
    return (nullable, item_type, inner) if type(inner) is GraphQLObjectType else None
