"""Selection sets the planner builds for one subgraph, merged as they grow."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from graphql import (
    ArgumentNode,
    DirectiveNode,
    FieldNode,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    Node,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
    Visitor,
    parse,
    print_ast,
    visit,
)


@dataclass
class SField:
    name: str
    alias: str | None = None
    arguments: tuple[ArgumentNode, ...] = ()
    directives: tuple[DirectiveNode, ...] = ()
    sub: SSet | None = None
    local_type: str | None = None
    """The field's type in the subgraph it is sent to, printed (`ID!`, `[Book]`): two
    fields of one response key must agree on it there, or be aliased apart."""

    @property
    def key(self) -> str:
        return self.alias or self.name

    def to_ast(self) -> FieldNode:
        return FieldNode(
            alias=NameNode(value=self.alias) if self.alias else None,
            name=NameNode(value=self.name),
            arguments=self.arguments,
            directives=self.directives,
            selection_set=self.sub.to_ast() if self.sub is not None else None,
        )


@dataclass
class SFragment:
    type_condition: str
    directives: tuple[DirectiveNode, ...]
    sub: SSet

    def to_ast(self) -> InlineFragmentNode:
        return InlineFragmentNode(
            type_condition=NamedTypeNode(name=NameNode(value=self.type_condition)),
            directives=self.directives,
            selection_set=self.sub.to_ast(),
        )


def _sig(nodes: Iterable[Node]) -> str:
    return ",".join(print_ast(n) for n in nodes)


@dataclass
class SSet:
    """An ordered selection set in which identical selections are merged, not repeated."""

    items: dict[str, SField | SFragment] = field(default_factory=dict)

    def field(
        self,
        name: str,
        alias: str | None = None,
        arguments: Iterable[ArgumentNode] | None = (),
        directives: Iterable[DirectiveNode] | None = (),
        *,
        composite: bool = False,
    ) -> SField:
        arguments, directives = tuple(arguments or ()), tuple(directives or ())
        if alias == name:
            alias = None
        key = f"{alias or name}:{name}({_sig(arguments)}){_sig(directives)}"
        existing = self.items.get(key)
        if isinstance(existing, SField):
            return existing
        made = SField(name, alias, arguments, directives, SSet() if composite else None)
        self.items[key] = made
        return made

    def typename(self) -> SField:
        made = self.field("__typename")
        made.local_type = "String!"
        return made

    def fragment(
        self, type_condition: str, directives: Iterable[DirectiveNode] | None = ()
    ) -> SSet:
        directives = tuple(directives or ())
        key = f"...{type_condition}{_sig(directives)}"
        existing = self.items.get(key)
        if isinstance(existing, SFragment):
            return existing.sub
        made = SFragment(type_condition, directives, SSet())
        self.items[key] = made
        return made.sub

    def merge(self, other: SSet) -> None:
        """Add another selection set's items, merging identical fields' sub-selections.

        What is added is copied, so merging into it later leaves `other` as it was.
        """
        # A work list, not recursion: a client's document may nest as deep as the
        # parser allows, deeper than Python's stack (or copy.deepcopy) goes.
        pending = [(self, other)]
        while pending:
            into, source = pending.pop()
            for key, item in source.items.items():
                mine = into.items.get(key)
                if mine is None:
                    mine = into.items[key] = _empty_like(item)
                if mine.sub is not None and item.sub is not None and mine is not item:
                    pending.append((mine.sub, item.sub))

    def response_keys(self) -> list[str]:
        keys: list[str] = []
        for item in self.items.values():
            if isinstance(item, SField):
                if item.name != "__typename":
                    keys.append(item.alias or item.name)
            else:
                keys.extend(k for k in item.sub.response_keys() if k not in keys)
        return keys

    def to_ast(self) -> SelectionSetNode:
        return SelectionSetNode(selections=tuple(i.to_ast() for i in self.items.values()))


def _empty_like(item: SField | SFragment) -> SField | SFragment:
    """The item without its sub-selection; the AST nodes it holds are never changed,
    so they are shared."""
    if isinstance(item, SField):
        sub = SSet() if item.sub is not None else None
        return SField(item.name, item.alias, item.arguments, item.directives, sub, item.local_type)
    return SFragment(item.type_condition, item.directives, SSet())


def prune(sset: SSet) -> None:
    """Drop empty fragments; a composite field left without selections selects
    `__typename`, so no subgraph is ever sent an empty selection set (a syntax error)."""
    # Bottom-up over a work list: documents nest deeper than Python's stack.
    order: list[SSet] = []
    pending = [sset]
    while pending:
        current = pending.pop()
        order.append(current)
        pending.extend(i.sub for i in current.items.values() if i.sub is not None)
    for current in reversed(order):
        for key, item in list(current.items.items()):
            if item.sub is None or item.sub.items:
                continue
            if isinstance(item, SFragment):
                del current.items[key]
            else:
                item.sub.typename()


RENAMED_PREFIX = "__r"


def separate_conflicts(sset: SSet, renames: dict[str, str]) -> None:
    """Alias apart the fields of one response key whose types differ in the subgraph
    (`ID!` in one fragment, `ID` in its sibling): graphql's "fields can be merged" rule
    refuses them together. `renames` maps each new alias back to the response key."""
    pending: list[list[SSet]] = [[sset]]
    while pending:
        sets = pending.pop()
        by_key: dict[str, list[SField]] = {}
        for field_ in _collected(sets):
            by_key.setdefault(field_.key, []).append(field_)
        for key, fields in by_key.items():
            types: list[str | None] = list(
                dict.fromkeys(f.local_type for f in fields if f.local_type is not None)
            )
            for other in types[1:]:
                alias = f"{RENAMED_PREFIX}{len(renames)}_{key.lstrip('_')}"
                renames[alias] = key
                for f in fields:
                    if f.local_type == other:
                        f.alias = alias
            for kind in types or [None]:
                subs = [
                    f.sub
                    for f in fields
                    if f.sub is not None and (f.local_type == kind or len(types) <= 1)
                ]
                if subs:
                    pending.append(subs)


def _collected(sets: Iterable[SSet]) -> list[SField]:
    """The fields of these selection sets and of the fragments in them."""
    out: list[SField] = []
    pending = list(sets)
    while pending:
        current = pending.pop()
        for item in current.items.values():
            if isinstance(item, SField):
                out.append(item)
            else:
                pending.append(item.sub)
    return out


CLIENT_ESCAPE = "__c_"
"""What a client's response key starting with `__` is stored under in the response
tree, so it never meets a key of the router's own (`__typename`, hidden keys, renames)."""


def tree_key(key: str, field_name: str) -> str:
    """The key under which a client field's value is kept while the plan executes."""
    if key.startswith("__") and not (field_name == "__typename" and key == "__typename"):
        return CLIENT_ESCAPE + key
    return key


def client_key(key: str) -> str:
    return key[len(CLIENT_ESCAPE) :] if key.startswith(CLIENT_ESCAPE) else key


@lru_cache(maxsize=1024)
def parse_field_set(field_set: str) -> tuple[SelectionNode, ...]:
    """A join__FieldSet string as selections (`id organization { id }`)."""
    doc = parse("{" + field_set + "}", no_location=True)
    op = doc.definitions[0]
    assert isinstance(op, OperationDefinitionNode)
    return tuple(op.selection_set.selections)


HIDDEN_PREFIX = "__h_"


@lru_cache(maxsize=1024)
def hidden_field_set(field_set: str) -> tuple[SelectionNode, ...]:
    """The field set with every field aliased, so what the router adds for its own
    needs (keys, required fields) never collides with a client's alias. A field with
    arguments (`price(currency: "USD")`) keeps them, under an alias of its own."""
    return _aliased(parse_field_set(field_set))


def hidden_alias(sel: FieldNode) -> str:
    if not sel.arguments:
        return HIDDEN_PREFIX + sel.name.value
    digest = hashlib.sha256(_sig(sel.arguments).encode()).hexdigest()[:8]
    return f"{HIDDEN_PREFIX}{sel.name.value}_{digest}"


class HiddenFieldNode(FieldNode):
    """A field the router selects for its own needs, under an alias of its own."""

    __slots__ = ()


def _aliased(sels: Iterable[SelectionNode]) -> tuple[SelectionNode, ...]:
    out: list[SelectionNode] = []
    for sel in sels:
        if isinstance(sel, FieldNode):
            inner = sel.selection_set
            out.append(
                HiddenFieldNode(
                    alias=NameNode(value=hidden_alias(sel)),
                    name=sel.name,
                    arguments=sel.arguments,
                    directives=(),
                    selection_set=SelectionSetNode(selections=_aliased(inner.selections))
                    if inner
                    else None,
                )
            )
        elif isinstance(sel, InlineFragmentNode):
            out.append(
                InlineFragmentNode(
                    type_condition=sel.type_condition,
                    directives=(),
                    selection_set=SelectionSetNode(
                        selections=_aliased(sel.selection_set.selections)
                    ),
                )
            )
    return tuple(out)


def variables_used(node: Node) -> list[str]:
    names: list[str] = []

    class _Collect(Visitor):
        def enter_variable(self, var: VariableNode, *_: object) -> None:
            if var.name.value not in names:
                names.append(var.name.value)

    visit(node, _Collect())
    return names
