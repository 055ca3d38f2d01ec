"""Merging the selection sets the planner builds."""

from __future__ import annotations

from router.selection import SSet


def nested(depth: int, leaf: str) -> SSet:
    root = SSet()
    at = root
    for i in range(depth):
        made = at.field(f"f{i}", composite=True).sub
        assert made is not None
        at = made
    at.field(leaf)
    return root


def leaves(s: SSet) -> list[str]:
    found: list[str] = []
    pending = [s]
    while pending:
        for item in pending.pop().items.values():
            if item.sub is None:
                found.append(item.name)
            else:
                pending.append(item.sub)
    return found


def test_merge_copies_so_merging_into_the_result_leaves_the_source_alone() -> None:
    source = nested(3, "id")
    merged = SSet()
    merged.merge(source)
    merged.merge(nested(3, "name"))
    assert sorted(leaves(merged)) == ["id", "name"]
    assert leaves(source) == ["id"]
    assert merged.to_ast() != source.to_ast()


def test_merge_does_not_recurse_per_level() -> None:
    # Deeper than Python's recursion limit: copy.deepcopy failed near 100 levels.
    merged = SSet()
    merged.merge(nested(5000, "id"))
    merged.merge(nested(5000, "name"))
    assert sorted(leaves(merged)) == ["id", "name"]
