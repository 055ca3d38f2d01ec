"""Purchases' GraphQL layer: the only part of the domain that knows Strawberry."""
