"""The bounded least-recently-used map behind the router's document and plan caches."""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    """At most `max_size` entries; a new one evicts the entry read or written longest ago.

    LRU rather than FIFO: clients send a few documents over and over, and those must
    outlive a burst of one-off queries. The lock costs little and keeps a router that
    is shared across threads (each with its own event loop) consistent.
    """

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)
