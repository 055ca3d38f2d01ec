"""Derive the client-facing API schema from a supergraph document."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql import (
    REMOVE,
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    GraphQLSchema,
    NamedTypeNode,
    Node,
    SchemaDefinitionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    Visitor,
    build_ast_schema,
    visit,
)

if TYPE_CHECKING:
    from router.supergraph import Link


def machinery_names(links: list[Link]) -> tuple[set[str], set[str], str]:
    """Directive names, type-name prefixes of the federation specs, and @inaccessible's name.

    Only Apollo-hosted specs are machinery; custom features brought in with
    @composeDirective stay in the API schema like any other directive.
    """
    directives: set[str] = set()
    prefixes: set[str] = set()
    inaccessible = "inaccessible"
    for link in links:
        if not link.is_apollo:
            continue
        directives.add(link.alias)
        prefixes.add(f"{link.alias}__")
        directives.update(link.imports)
        if link.name == "inaccessible":
            inaccessible = link.alias
    directives.update({"link", "core"})
    return directives, prefixes, inaccessible


def _has(node: Any, name: str) -> bool:
    return any(d.name.value == name for d in getattr(node, "directives", None) or ())


class _Strip(Visitor):
    def __init__(self, directives: set[str], prefixes: set[str], inaccessible: str) -> None:
        super().__init__()
        self.directives = directives
        self.prefixes = prefixes
        self.inaccessible = inaccessible
        self.hidden_types: set[str] = set()

    def _machinery(self, name: str) -> bool:
        return name in self.directives or any(name.startswith(p) for p in self.prefixes)

    def enter_directive(self, node: DirectiveNode, *_: Any) -> Any:
        return REMOVE if self._machinery(node.name.value) else None

    def enter_directive_definition(self, node: DirectiveDefinitionNode, *_: Any) -> Any:
        return REMOVE if self._machinery(node.name.value) else None

    def enter(self, node: Node, *_: Any) -> Any:
        if isinstance(node, TypeDefinitionNode | TypeExtensionNode):
            if self._machinery(node.name.value) or node.name.value in self.hidden_types:
                return REMOVE
        elif _has(node, self.inaccessible) and not isinstance(node, SchemaDefinitionNode):
            return REMOVE
        return None

    def enter_named_type(self, node: NamedTypeNode, *_: Any) -> Any:
        # Only union member and implements lists reach here with a hidden name:
        # fields and arguments of a hidden type are themselves @inaccessible.
        return REMOVE if node.name.value in self.hidden_types else None


def build_api_schema(doc: DocumentNode, links: list[Link]) -> GraphQLSchema:
    directives, prefixes, inaccessible = machinery_names(links)
    strip = _Strip(directives, prefixes, inaccessible)
    for d in doc.definitions:
        if isinstance(d, TypeDefinitionNode | TypeExtensionNode) and _has(d, inaccessible):
            strip.hidden_types.add(d.name.value)
    stripped = visit(doc, strip)
    return build_ast_schema(stripped, assume_valid_sdl=True)
