"""`GET /documents/{kind}/{id}.pdf`: a sales document as PDF, for the bearer of a valid
access token with `sales:read`, from the token's tenant only (another tenant's document
is 404, exactly like an unknown one)."""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from shared.context import Runtime
from shared.errors import NexoError
from subgraphs.notifications import documents
from subgraphs.notifications.models import DocumentKind

PERMISSION = "sales:read"
PATH = "/documents/{kind}/{document_id}.pdf"


def _error(status: int, code: str, message: str) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def document_routes(runtime: Runtime) -> list[BaseRoute]:
    async def document(request: Request) -> Response:
        try:
            principal = await runtime.verifier.authenticate(request.headers.get("authorization"))
        except NexoError as exc:
            return _error(401, str(exc.code), exc.message)
        if principal is None:
            return _error(401, "UNAUTHENTICATED", "Authentication required")
        if not principal.can(PERMISSION):
            return _error(403, "FORBIDDEN", f"Missing permission {PERMISSION}")
        try:
            kind = DocumentKind(request.path_params["kind"])
            document_id = uuid.UUID(request.path_params["document_id"])
        except ValueError:
            return _error(404, "NOT_FOUND", "No such document")
        async with runtime.db.transaction(principal.tenant_id, readonly=True) as session:
            found = await documents.load(session, principal.tenant_id, kind, document_id)
        if found is None:
            return _error(404, "NOT_FOUND", "No such document")
        return Response(
            found.content,
            media_type=found.content_type,
            headers={
                "Content-Disposition": f'inline; filename="{found.filename}"',
                "Cache-Control": "private, no-store",
            },
        )

    return [Route(PATH, document, methods=["GET"])]
