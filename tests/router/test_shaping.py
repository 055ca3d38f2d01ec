"""The shaper's null propagation and error paths, with its plans walked and written out
as code (`router.shaping_code`): the same answer, request after request."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import OperationDefinitionNode, build_schema, parse
from graphql.execution.values import VariableValues, get_variable_values

from router.shaping import ShapePlans, Shaper

pytestmark = pytest.mark.usefixtures("shaping_mode")

SCHEMA = build_schema(
    """
    type Query { shop: Shop, shops: [Shop!] }
    type Shop { name: String!, owner: Person!, manager: Person, staff: [Person!]!, tags: [String] }
    type Person { name: String!, nick: String, boss: Person }
    """
)


def shape(query: str, tree: dict[str, Any], times: int = 3) -> list[dict[str, Any]]:
    """The body of each of `times` requests with the same document (plans kept)."""
    doc = parse(query)
    op = doc.definitions[0]
    assert isinstance(op, OperationDefinitionNode)
    variables = get_variable_values(SCHEMA, (), {})
    assert isinstance(variables, VariableValues)
    plans = ShapePlans(op)
    bodies = []
    for _ in range(times):
        errors: list[dict[str, Any]] = []
        data = Shaper(SCHEMA, {}, variables, errors, plans).shape(op, tree)
        bodies.append({"data": data, **({"errors": errors} if errors else {})})
    return bodies


def person(name: str | None, **more: Any) -> dict[str, Any]:
    return {"name": name, "nick": None, **more}


def test_a_null_in_a_nested_object_bubbles_to_the_nearest_nullable_field() -> None:
    tree = {
        "shop": {
            "name": "Acme",
            "owner": person("Ada", boss=person(None)),
            "manager": person(None),
            "staff": [],
            "tags": None,
        }
    }
    query = "{ shop { name manager { name } owner { name boss { name } } } }"
    for body in shape(query, tree):
        assert body == {
            "data": {
                "shop": {"name": "Acme", "manager": None, "owner": {"name": "Ada", "boss": None}}
            },
            "errors": [
                {
                    "message": "Cannot return null for non-nullable field Person.name.",
                    "path": ["shop", "manager", "name"],
                },
                {
                    "message": "Cannot return null for non-nullable field Person.name.",
                    "path": ["shop", "owner", "boss", "name"],
                },
            ],
        }


def test_a_null_in_a_list_item_nulls_the_nearest_nullable_position() -> None:
    shops = [
        {"name": "A", "staff": [person("Ada"), person(None)], "tags": ["x", None]},
        {"name": "B", "staff": [person("Bob", nick="B")], "tags": []},
    ]
    query = "{ shops { name staff { name nick } tags } }"
    for body in shape(query, {"shops": shops}):
        assert body == {
            "data": {"shops": None},
            "errors": [
                {
                    "message": "Cannot return null for non-nullable field Person.name.",
                    "path": ["shops", 0, "staff", 1, "name"],
                }
            ],
        }


def test_objects_and_lists_keep_the_clients_order_and_aliases() -> None:
    # The tree holds a field under the client's alias, and more than was asked.
    shops = [{"label": "A", "who": person("Ada", nick="A"), "staff": [person("Bob")], "x": 1}]
    query = "{ shops { who: owner { nick name } staff { name } label: name __typename } }"
    for body in shape(query, {"shops": shops}):
        assert body == {
            "data": {
                "shops": [
                    {
                        "who": {"nick": "A", "name": "Ada"},
                        "staff": [{"name": "Bob"}],
                        "label": "A",
                        "__typename": "Shop",
                    }
                ]
            },
        }
        assert list(body["data"]["shops"][0]) == ["who", "staff", "label", "__typename"]
