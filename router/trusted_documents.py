"""Trusted documents: Apollo's automatic persisted queries (APQ) and a safelist.

`NEXO_PERSISTED_QUERIES` chooses:

- `apq` (default): a request may carry `extensions.persistedQuery = {version: 1,
  sha256Hash}` instead of its query text. An unknown hash answers
  PERSISTED_QUERY_NOT_FOUND; the client then sends the text with the same extension,
  the router checks the hash (a mismatch is BAD_USER_INPUT), remembers the text (in
  this process, the `capacity` most recently used) and runs it. Plain requests run too.
- `safelist`: only documents in the safelist file run, sent by hash or in full (the
  sha256 of the exact text must be listed); anything else is OPERATION_NOT_TRUSTED and
  nothing is learnt from requests. `nexo operations register FILE` adds documents to the
  file (`NEXO_TRUSTED_DOCUMENTS`, default `trusted-documents.json` in the data
  directory), which each router re-reads when it changes.
- `off`: requests are taken as they come; the extension is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from router.lru import LRU
from shared.settings import load_settings

NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
NOT_TRUSTED = "OPERATION_NOT_TRUSTED"
MODES = ("apq", "safelist", "off")


def document_hash(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def default_path() -> Path:
    settings = load_settings()
    return settings.trusted_documents or settings.data_dir / "trusted-documents.json"


def read_safelist(path: Path) -> dict[str, str]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    documents = loaded.get("documents", {}) if isinstance(loaded, dict) else {}
    return {str(k): str(v) for k, v in documents.items()}


def register(path: Path, text: str) -> list[tuple[str, str]]:
    """Add the documents of `text` to the safelist at `path`: a GraphQL document (one
    entry, hashed as written), or a JSON manifest (`{"hash": "text"}` or Apollo's
    `{"operations": [{"body": ...}]}`). Returns (hash, name) of each added."""
    try:
        manifest = json.loads(text)
    except ValueError:
        bodies = [text]
    else:
        if isinstance(manifest, dict) and isinstance(manifest.get("operations"), list):
            bodies = [str(op["body"]) for op in manifest["operations"]]
        elif isinstance(manifest, dict):
            bodies = [str(v) for v in manifest.values()]
        else:
            raise ValueError("a JSON manifest is an object")
    documents = read_safelist(path)
    added = []
    for body in bodies:
        digest = document_hash(body)
        documents[digest] = body
        first = body.strip().split("{", 1)[0].strip() or "(anonymous)"
        added.append((digest, first))
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps({"documents": documents}, indent=2) + "\n", encoding="utf-8")
    os.replace(scratch, path)
    return added


def _error(message: str, code: str, status: int = 200) -> Response:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status)


class TrustedDocuments:
    def __init__(self, mode: str, path: Path | None = None, *, capacity: int = 10_000) -> None:
        if mode not in MODES:
            raise ValueError(f"NEXO_PERSISTED_QUERIES must be one of {', '.join(MODES)}")
        self.mode = mode
        self.path = path
        self.learnt: LRU[str, str] = LRU(capacity)
        self._safelist: dict[str, str] = {}
        self._stamp: float | None = None

    def safelist(self) -> dict[str, str]:
        if self.path is None:
            return {}
        try:
            stamp = self.path.stat().st_mtime
        except FileNotFoundError:
            return {}
        if stamp != self._stamp:
            self._safelist, self._stamp = read_safelist(self.path), stamp
        return self._safelist

    def known(self, digest: str) -> str | None:
        if self.mode == "safelist":
            return self.safelist().get(digest)
        return self.learnt.get(digest) or self.safelist().get(digest)

    def admit(self, params: Mapping[str, Any]) -> dict[str, Any] | Response:
        """The request's parameters with its query text filled in, or the refusal."""
        if self.mode == "off":
            return dict(params)
        extensions = params.get("extensions")
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        query = params.get("query")
        if not isinstance(persisted, dict):
            # Only a safelist refuses plain requests: nothing else needs their hash.
            if (
                self.mode == "safelist"
                and isinstance(query, str)
                and document_hash(query) not in self.safelist()
            ):
                return _error("This document is not in the safelist", NOT_TRUSTED, 400)
            return dict(params)
        digest = persisted.get("sha256Hash")
        if persisted.get("version") != 1 or not isinstance(digest, str):
            return _error("persistedQuery needs version 1 and a sha256Hash", "BAD_USER_INPUT", 400)
        if not isinstance(query, str) or not query:
            known = self.known(digest)
            if known is None:
                return _error("PersistedQueryNotFound", NOT_FOUND)
            return {**params, "query": known}
        if document_hash(query) != digest:
            return _error("provided sha does not match query", "BAD_USER_INPUT", 400)
        if self.mode == "safelist":
            if digest not in self.safelist():
                return _error("This document is not in the safelist", NOT_TRUSTED, 400)
        else:
            self.learnt.put(digest, query)
        return dict(params)


def _documents(request: Request) -> TrustedDocuments:
    found = getattr(request.app.state, "trusted_documents", None)
    if found is None:
        settings = load_settings()
        found = TrustedDocuments(settings.persisted_queries, default_path())
        request.app.state.trusted_documents = found
    return found


def admit(request: Request, body: bytes) -> tuple[bytes, Mapping[str, str]] | Response:
    """The router's hook: the body and query parameters with a persisted query's text
    filled in (so the ordinary parsing sees a plain request), or the refusal. Requests
    that are not JSON objects are left for the ordinary parsing to refuse."""
    documents = _documents(request)
    if documents.mode == "off":
        return body, request.query_params
    if request.method == "GET":
        params: dict[str, Any] = dict(request.query_params)
        try:
            if params.get("extensions"):
                params["extensions"] = json.loads(params["extensions"])
        except ValueError:
            return body, request.query_params
        admitted = documents.admit(params)
        if isinstance(admitted, Response):
            return admitted
        if "query" in admitted and admitted.get("query") != request.query_params.get("query"):
            rebuilt = dict(request.query_params)
            rebuilt["query"] = admitted["query"]
            return body, rebuilt
        return body, request.query_params
    try:
        loaded = json.loads(body)
    except (ValueError, RecursionError):
        return body, request.query_params
    admitted = admit_loaded(request, loaded)
    if isinstance(admitted, Response):
        return admitted
    if admitted is not loaded:
        return json.dumps(admitted).encode(), request.query_params
    return body, request.query_params


def admit_loaded(request: Request, loaded: Any) -> Any:
    """`admit` for a body already parsed: the value, or (a persisted query's text
    filled in) a new one, or the refusal. Values that are not JSON objects are left
    for the ordinary parsing to refuse."""
    documents = _documents(request)
    if documents.mode == "off" or not isinstance(loaded, dict):
        return loaded
    admitted = documents.admit(loaded)
    if isinstance(admitted, Response) or admitted.get("query") != loaded.get("query"):
        return admitted
    return loaded
