"""The document and plan caches: bounded, least recently used first out."""

from __future__ import annotations

from router_harness import in_process_transports

from router.gateway import Router
from router.lru import LRU
from router.supergraph import Supergraph


def test_lru_evicts_the_least_recently_used_entry() -> None:
    cache: LRU[str, int] = LRU(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # now "b" is the least recently used
    cache.put("c", 3)
    assert ("a" in cache, "b" in cache, "c" in cache) == (True, False, True)
    cache.put("a", 10)  # writing counts as use, and replaces
    cache.put("d", 4)
    assert (cache.get("a"), cache.get("c"), len(cache)) == (10, None, 2)


async def test_a_recently_used_document_survives_eviction(supergraph: Supergraph) -> None:
    router = Router(supergraph, in_process_transports(), plan_cache_size=2)
    often, once, another = "{ me { name } }", "{ products { name } }", "{ media { id } }"
    await router.execute(often)
    await router.execute(once)
    await router.execute(often)
    await router.execute(another)  # evicts the document used longest ago
    assert often in router.documents
    assert once not in router.documents
    assert another in router.documents
