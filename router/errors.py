"""A fault of the router's own: logged in full, shown to clients only as a fixed message.

Exception text can carry SQL, file paths, hostnames or secrets, so it never reaches a
response; the request id in the error is what finds the logged traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog

from shared.codes import Code

log = structlog.get_logger("nexo.router")

INTERNAL_MESSAGE = "Internal server error"
INTERNAL_CODE = str(Code.INTERNAL_SERVER_ERROR)


def log_internal(event: str, exc: BaseException, request_id: str | None, **context: Any) -> None:
    log.error(event, exc_info=exc, request_id=request_id, **context)


def internal_error(
    request_id: str | None, path: Sequence[str | int] | None = None
) -> dict[str, Any]:
    """The GraphQL error a client gets in place of the exception."""
    error: dict[str, Any] = {"message": INTERNAL_MESSAGE}
    if path is not None:
        # Keeps null propagation and partial data working as for any field error.
        error["path"] = list(path)
    error["extensions"] = {"code": INTERNAL_CODE, "requestId": request_id}
    return error
