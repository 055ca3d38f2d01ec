"""Reading a GraphQL-over-HTTP request's parameters, without an app or a server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.responses import Response

from router.app import GraphQLRequest, parse_graphql_request, wants_graphiql
from router.limits import OperationLimits

JSON = {"content-type": "application/json"}


def post(body: Any, headers: dict[str, str] = JSON) -> GraphQLRequest | Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return parse_graphql_request("POST", headers, {}, raw)


def refused(parsed: GraphQLRequest | Response) -> tuple[int, str]:
    assert isinstance(parsed, Response)
    [error] = json.loads(bytes(parsed.body))["errors"]
    return parsed.status_code, error["message"]


def test_a_post_body_gives_every_parameter() -> None:
    parsed = post(
        {
            "query": "query Q($id: ID!) { product(id: $id) { name } }",
            "variables": {"id": "1"},
            "operationName": "Q",
            "extensions": {"persistedQuery": {"version": 1}},
        }
    )
    assert parsed == GraphQLRequest(
        query="query Q($id: ID!) { product(id: $id) { name } }",
        variables={"id": "1"},
        operation_name="Q",
        extensions={"persistedQuery": {"version": 1}},
        allowed_operations=("query", "mutation"),
    )


def test_a_get_query_string_gives_the_parameters_and_allows_only_queries() -> None:
    params = {
        "query": "{ me { name } }",
        "variables": '{"a": 1}',
        "operationName": "Me",
        "extensions": '{"x": true}',
    }
    parsed = parse_graphql_request("GET", {}, params, b"")
    assert parsed == GraphQLRequest(
        query="{ me { name } }",
        variables={"a": 1},
        operation_name="Me",
        extensions={"x": True},
        allowed_operations=("query",),
    )


def test_missing_optional_parameters_are_none() -> None:
    parsed = post({"query": "{ me { name } }", "variables": None})
    assert isinstance(parsed, GraphQLRequest)
    assert (parsed.variables, parsed.operation_name, parsed.extensions) == (None, None, None)


@pytest.mark.parametrize(
    ("parsed", "status", "message"),
    [
        (
            post({"query": "{ a }"}, {"content-type": "text/plain"}),
            415,
            "POST needs Content-Type: application/json",
        ),
        (post({"query": "{ a }"}, {}), 415, "POST needs Content-Type: application/json"),
        (post(b"{not json"), 400, "the body is not JSON"),
        (post(b"\xff\xfe"), 400, "the body is not JSON"),
        (
            post([{"query": "{ a }"}, {"query": "{ b }"}]),
            400,
            "batched requests (a JSON array of operations) are not supported:"
            " send one operation per request",
        ),
        (post("{ a }"), 400, "a query string is required"),
        (
            post({"query": "{ a }", "operationName": {"obj": "ect"}}),
            400,
            "operationName must be a string",
        ),
        (post({"query": "{ a }", "operationName": 0}), 400, "operationName must be a string"),
        (post({"query": "{ a }", "operationName": False}), 400, "operationName must be a string"),
        (post({"query": "{ a }", "operationName": ["A"]}), 400, "operationName must be a string"),
        (
            post({"query": "{ a }", "extensions": "not an object"}),
            400,
            "extensions must be an object",
        ),
        (post({"query": "{ a }", "extensions": 0}), 400, "extensions must be an object"),
        (post({"query": "{ a }", "extensions": False}), 400, "extensions must be an object"),
        (post({"query": "{ a }", "extensions": ["x"]}), 400, "extensions must be an object"),
        (post({"query": "{ a }", "variables": "x"}), 400, "variables must be an object"),
        (post({"query": "{ a }", "variables": 0}), 400, "variables must be an object"),
        (post({"query": "{ a }", "variables": False}), 400, "variables must be an object"),
        (
            parse_graphql_request("GET", {}, {"query": "{ a }", "extensions": "{"}, b""),
            400,
            "extensions must be JSON",
        ),
        (
            parse_graphql_request("GET", {}, {"query": "{ a }", "extensions": "[1]"}, b""),
            400,
            "extensions must be an object",
        ),
        (post({"query": 1}), 400, "a query string is required"),
        (post({}), 400, "a query string is required"),
        (post({"query": "{ a }", "variables": [1]}), 400, "variables must be an object"),
        (parse_graphql_request("GET", {}, {}, b""), 400, "a query string is required"),
        (
            parse_graphql_request("GET", {}, {"query": "{ a }", "variables": "{"}, b""),
            400,
            "variables must be JSON",
        ),
        (
            parse_graphql_request("GET", {}, {"query": "{ a }", "variables": "[1]"}, b""),
            400,
            "variables must be an object",
        ),
    ],
)
def test_malformed_requests_are_refused(
    parsed: GraphQLRequest | Response, status: int, message: str
) -> None:
    assert refused(parsed) == (status, message)


def test_json_nested_past_the_limit_is_a_400_never_a_500() -> None:
    deep = b'{"query": "{ a }", "variables": {"v": ' + b"[" * 5000 + b"]" * 5000 + b"}}"
    assert refused(post(deep)) == (400, "the body nests deeper than 32 levels")
    assert refused(post(b"[" * 40 + b"]" * 40)) == (400, "the body nests deeper than 32 levels")
    within = {"query": "{ a }", "variables": {"v": json.loads("[" * 30 + "]" * 30)}}
    assert isinstance(post(within), GraphQLRequest)
    # Without the limit, what Python's JSON reader cannot nest is still a 400.
    looser = parse_graphql_request("POST", JSON, {}, deep, OperationLimits(json_depth=None))
    assert refused(looser) == (400, "the body nests too deep to read")
    got = parse_graphql_request(
        "GET", {}, {"query": "{ a }", "variables": '{"v": ' + "[" * 40 + "]" * 40 + "}"}, b""
    )
    assert refused(got) == (400, "variables nests deeper than 32 levels")


def test_null_parameters_are_absent_ones() -> None:
    parsed = post({"query": "{ a }", "operationName": None, "extensions": None, "variables": None})
    assert isinstance(parsed, GraphQLRequest)
    assert (parsed.operation_name, parsed.extensions, parsed.variables) == (None, None, None)


def test_any_method_but_get_reads_the_body() -> None:
    parsed = parse_graphql_request("HEAD", JSON, {"query": "{ a }"}, b'{"query": "{ b }"}')
    assert isinstance(parsed, GraphQLRequest) and parsed.query == "{ b }"


def test_graphiql_is_only_for_a_browser_get_without_parameters() -> None:
    html = {"accept": "text/html,application/xhtml+xml"}
    assert wants_graphiql("GET", html, {})
    assert not wants_graphiql("GET", html, {"query": "{ a }"})
    assert not wants_graphiql("GET", {"accept": "application/json"}, {})
    assert not wants_graphiql("POST", html, {})
