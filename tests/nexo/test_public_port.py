"""What `nexo serve` (embedded) answers on its public port beside /graphql: the JWKS that
verifies its tokens, CORS for the configured origins, GraphiQL from its own files."""

from __future__ import annotations

import uuid

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from shared.auth import ALGORITHM
from shared.graphiql import web
from tests.nexo.serving import nexo_serve

APP = "https://erp-frontend.example"


@pytest.mark.slow
def test_embedded_serve_publishes_jwks_cors_and_graphiql() -> None:
    with nexo_serve(env={"NEXO_CORS_ORIGINS": APP}) as served:
        base = served.base
        keys = httpx.get(f"{base}/.well-known/jwks.json", timeout=10)
        assert keys.status_code == 200
        assert keys.headers["cache-control"] == "public, max-age=60"
        assert keys.json()["keys"]
        assert all(k["kty"] == "OKP" and "d" not in k for k in keys.json()["keys"])

        def gql(query: str, variables: dict[str, object]) -> dict:  # type: ignore[type-arg]
            answer = httpx.post(
                f"{base}/graphql",
                json={"query": query, "variables": variables},
                headers={"origin": APP},
                timeout=30,
            )
            assert answer.headers["access-control-allow-origin"] == APP
            return answer.json()  # type: ignore[no-any-return]

        email, password = f"{uuid.uuid4().hex[:8]}@jwks.example", "p" * 12
        signed_up = gql(
            "mutation($i: SignUpInput!) { signUp(input: $i) { user { tenant { slug } } } }",
            {"i": {"tenantName": "Jwks Co", "email": email, "password": password, "name": "A"}},
        )
        slug = signed_up["data"]["signUp"]["user"]["tenant"]["slug"]
        login = gql(
            "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
            {"i": {"tenant": slug, "email": email, "password": password}},
        )
        token = login["data"]["login"]["accessToken"]
        # The published keys verify the tokens NEXO signs.
        assert jwt.decode(token, KeySet.import_key_set(keys.json()), algorithms=[ALGORITHM]).claims[
            "tid"
        ]

        preflight = httpx.options(
            f"{base}/graphql",
            headers={
                "origin": APP,
                "access-control-request-method": "POST",
                "access-control-request-headers": "authorization, content-type",
            },
            timeout=10,
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == APP
        other = httpx.options(
            f"{base}/graphql",
            headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
            timeout=10,
        )
        assert "access-control-allow-origin" not in other.headers

        page = httpx.get(f"{base}/graphql", headers={"accept": "text/html"}, timeout=10)
        if web.vendor_files() is None:
            assert page.status_code == 503
            assert "python -m shared.graphiql.assets" in page.text
        else:
            assert page.status_code == 200
            assert "unpkg" not in page.text
            script = httpx.get(f"{base}/graphiql/assets/graphiql.min.js", timeout=10)
            assert script.status_code == 200
            assert script.headers["content-type"].startswith("text/javascript")
