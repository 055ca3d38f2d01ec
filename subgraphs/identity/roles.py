"""The permission vocabulary and the built-in roles every tenant starts with."""

from __future__ import annotations

import re

DOMAINS = ("identity", "crm", "stock", "sales", "purchases", "production", "notifications")
LEVELS = ("read", "write", "admin")
PERMISSION = re.compile(rf"^({'|'.join(DOMAINS)}):({'|'.join(LEVELS)})$")


def _grant(domains: tuple[str, ...], *levels: str) -> list[str]:
    return [f"{d}:{level}" for d in domains for level in levels]


_BUSINESS = ("crm", "stock", "sales", "purchases", "production", "notifications")

BUILTIN_ROLES: dict[str, tuple[str, list[str]]] = {
    "admin": ("Everything, including users and roles", _grant(DOMAINS, *LEVELS)),
    "manager": (
        "Reads and changes every business domain",
        ["identity:read", *_grant(_BUSINESS, "read", "write")],
    ),
    "sales": (
        "Customers, deals and sales orders",
        [
            "identity:read",
            *_grant(("crm", "sales"), "read", "write"),
            "stock:read",
            "notifications:read",
        ],
    ),
    "warehouse": (
        "Stock, moves and deliveries",
        [
            "identity:read",
            "stock:read",
            "stock:write",
            "sales:read",
            "purchases:read",
            "production:read",
            "notifications:read",
        ],
    ),
    "purchasing": (
        "Suppliers and purchase orders",
        ["identity:read", "purchases:read", "purchases:write", "stock:read", "notifications:read"],
    ),
    "production": (
        "Bills of materials and production orders",
        [
            "identity:read",
            "production:read",
            "production:write",
            "stock:read",
            "notifications:read",
        ],
    ),
    "viewer": ("Reads everything, changes nothing", _grant(DOMAINS, "read")),
}


def is_permission(value: str) -> bool:
    return PERMISSION.match(value) is not None
