"""The cache only caches: a Redis cache that answers "not cached" when Redis is away.

Every page, the clock and the sign-in read their truth from the database; the cache only saves
work. A failed cache call is logged once (until the cache answers again) and skipped: a read
misses, a write is dropped. Without this, a Redis restart turned every page that touches the
cache into a 500.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

T = TypeVar("T")

_down = threading.Event()


def _forgiving(call: Callable[[], T], default: T) -> T:
    try:
        value = call()
    except Exception as error:
        if not _down.is_set():
            _down.set()
            logger.warning("The cache cannot be reached (%s): pages go on without it.", error)
        return default
    if _down.is_set():
        _down.clear()
        logger.info("The cache answers again.")
    return value


class ForgivingRedisCache(RedisCache):
    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return _forgiving(lambda: super(ForgivingRedisCache, self).get(key, default, version), default)

    def set(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> None:
        _forgiving(lambda: super(ForgivingRedisCache, self).set(key, value, timeout, version), None)

    def add(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> bool:
        return _forgiving(lambda: super(ForgivingRedisCache, self).add(key, value, timeout, version), False)

    def touch(self, key: Any, timeout: Any = None, version: int | None = None) -> bool:
        return _forgiving(lambda: super(ForgivingRedisCache, self).touch(key, timeout, version), False)

    def delete(self, key: Any, version: int | None = None) -> bool:
        return _forgiving(lambda: super(ForgivingRedisCache, self).delete(key, version), False)

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        return _forgiving(lambda: super(ForgivingRedisCache, self).get_many(keys, version), {})

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return _forgiving(lambda: super(ForgivingRedisCache, self).has_key(key, version), False)

    def set_many(self, data: Any, timeout: Any = None, version: int | None = None) -> list[Any]:
        return _forgiving(lambda: super(ForgivingRedisCache, self).set_many(data, timeout, version), [])

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        _forgiving(lambda: super(ForgivingRedisCache, self).delete_many(keys, version), None)

    def clear(self) -> None:
        _forgiving(lambda: super(ForgivingRedisCache, self).clear(), None)
