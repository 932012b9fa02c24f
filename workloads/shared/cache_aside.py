"""Cache-aside reads in Redis: one load per cold key, stale while refreshing, the source on failure.

Guarantees:
- **Never an error because of the cache.** Every Redis call goes through a circuit breaker
  (`breaker.py`); a Redis error or an open breaker answers from the loader (the database), counted
  as `bypass`. The breaker closes again on the first trial read that succeeds once Redis is back.
- **One load per cold key.** Concurrent misses for a key in one process share one load (an
  in-process single flight); across processes one request holds a short lock in Redis
  (`SET NX PX`) and loads, the others poll for its value and load themselves only if it has not
  appeared within `wait_s` (a lost lock holder cannot stall readers for longer).
- **Stale while refreshing.** An entry is fresh for `ttl_s`, then kept `stale_s` more: a read of a
  stale entry that wins the lock refreshes it; every other read gets the stale value at once.
- **No stale fill after an invalidation.** Each entry belongs to invalidation *groups* (a product,
  a category's pages, …). A group has an epoch; a reader notes the epochs before it loads and
  stores its value only if none moved (one Lua script), so a load that raced an update cannot put
  the old value back. `invalidate(groups)` bumps the epochs and deletes every entry filed under
  them, atomically (one script; single-node Redis, as ElastiCache without cluster mode).

`invalidate` raises `CacheUnavailableError` when Redis cannot be told (breaker open, or an
error): the caller must keep the groups and retry later (the catalog parks them in its database).
Metrics: `conveyor_cache_lookups_total{cache,result}` (hit, stale, miss, bypass: the hit ratio is
(hit + stale) / all), `conveyor_cache_loads_total{cache}`, `conveyor_cache_invalidations_total`.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence

from redis.asyncio import Redis
from redis.exceptions import RedisError

from workloads.shared import metrics
from workloads.shared.breaker import CircuitBreaker

REDIS_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)
Loader = Callable[[], Awaitable[str]]

# KEYS: entry, n epoch keys, n member-set keys. ARGV: value, px, n expected epochs.
_FILL = """
local n = (#KEYS - 1) / 2
for i = 1, n do
  if (redis.call('GET', KEYS[1 + i]) or '0') ~= ARGV[2 + i] then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
for i = 1, n do
  redis.call('SADD', KEYS[1 + n + i], KEYS[1])
  redis.call('PEXPIRE', KEYS[1 + n + i], ARGV[2])
end
return 1
"""
# KEYS: n epoch keys, n member-set keys.
_INVALIDATE = """
local n = #KEYS / 2
for i = 1, n do
  redis.call('INCR', KEYS[i])
  for _, entry in ipairs(redis.call('SMEMBERS', KEYS[n + i])) do redis.call('DEL', entry) end
  redis.call('DEL', KEYS[n + i])
end
return n
"""
_UNLOCK = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end"


class CacheUnavailableError(Exception):
    """Redis could not be reached (or the breaker is open): the invalidation did not happen."""


class CacheAside:
    def __init__(
        self,
        redis: Redis,
        *,
        name: str,
        breaker: CircuitBreaker,
        ttl_s: float = 300.0,
        stale_s: float = 30.0,
        wait_s: float = 2.0,
        poll_s: float = 0.02,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self.name = name
        self.breaker = breaker
        self._fresh_ms = int(ttl_s * 1000)
        self._keep_ms = int((ttl_s + stale_s) * 1000)
        self._wait_s = wait_s
        self._poll_s = poll_s
        self._clock = clock
        self._inflight: dict[str, asyncio.Future[str]] = {}
        self._fill = redis.register_script(_FILL)
        self._invalidate = redis.register_script(_INVALIDATE)
        self._unlock = redis.register_script(_UNLOCK)

    # --- reading -----------------------------------------------------------------------------

    async def get(self, key: str, load: Loader, *, groups: Sequence[str]) -> str:
        """The cached value of `key`, or `load()`'s, filed under `groups` for invalidation."""
        if not self.breaker.allow():
            return await self._bypass(key, load)
        try:
            raw = await self._read(key)
        except REDIS_ERRORS:
            self.breaker.failed()
            return await self._bypass(key, load)
        self.breaker.succeeded()
        if raw is not None:
            fresh_until, _, value = raw.partition(":")
            if self._now_ms() < int(fresh_until):
                self._count("hit")
                return value
            if key in self._inflight or not await self._refresh_wanted(key):
                self._count("stale")
                return value
        self._count("miss")
        return await self._single_flight(key, lambda: self._fill_locked(key, load, groups))

    async def _read(self, key: str) -> str | None:
        raw = await self._redis.get(self._entry(key))
        return raw.decode() if isinstance(raw, bytes) else raw

    async def _refresh_wanted(self, key: str) -> bool:
        """A stale entry: refresh it here only if no other process is already doing so."""
        try:
            return not await self._redis.exists(self._lock(key))
        except REDIS_ERRORS:
            return False

    async def _bypass(self, key: str, load: Loader) -> str:
        self._count("bypass")
        return await self._single_flight(key, lambda: self._load(load))

    async def _single_flight(self, key: str, work: Loader) -> str:
        running = self._inflight.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            value = await work()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        else:
            future.set_result(value)
            return value
        finally:
            del self._inflight[key]

    async def _fill_locked(self, key: str, load: Loader, groups: Sequence[str]) -> str:
        """Load under the cross-process lock, or wait for the holder's value; Redis may fail.

        Loads at most once: Redis failing before the load serves from the loader, unstored;
        failing after it (storing, unlocking) keeps the loaded value, unstored.
        """
        deadline = time.monotonic() + self._wait_s
        try:
            while True:
                token = secrets.token_hex(8)
                px = int(self._wait_s * 1000)
                if await self._redis.set(self._lock(key), token, nx=True, px=px):
                    return await self._load_holding_lock(key, load, groups, token)
                while time.monotonic() < deadline:
                    await asyncio.sleep(self._poll_s)
                    raw = await self._read(key)
                    if raw is not None:
                        return raw.partition(":")[2]
                    if not await self._redis.exists(self._lock(key)):
                        break  # the holder's fill was refused or it died: try the lock again
                else:
                    return await self._load(load)  # waited long enough; serve, do not store
        except REDIS_ERRORS:
            self.breaker.failed()
            return await self._load(load)

    async def _load_holding_lock(
        self, key: str, load: Loader, groups: Sequence[str], token: str
    ) -> str:
        """Load and store, then release the lock; raises only the loader's own errors."""
        try:
            try:
                # a holder that stored it just before this lock: no second load
                raw = await self._read(key)
                if raw is not None and self._now_ms() < int(raw.partition(":")[0]):
                    return raw.partition(":")[2]
                epochs = await self._redis.mget([self._epoch(g) for g in groups]) if groups else []
            except REDIS_ERRORS:
                self.breaker.failed()
                return await self._load(load)
            value = await self._load(load)
            entry = f"{self._now_ms() + self._fresh_ms}:{value}"
            keys = [self._entry(key), *map(self._epoch, groups), *map(self._members, groups)]
            args = [entry, self._keep_ms, *(e or "0" for e in epochs)]
            try:
                await self._fill(keys=keys, args=args)
            except REDIS_ERRORS:
                self.breaker.failed()  # served, not stored: the next read loads again
            return value
        finally:
            try:
                await self._unlock(keys=[self._lock(key)], args=[token])
            except REDIS_ERRORS:
                self.breaker.failed()  # the lock expires by itself after wait_s

    async def _load(self, load: Loader) -> str:
        metrics.cache_loads.labels(self.name).inc()
        return await load()

    # --- invalidating ------------------------------------------------------------------------

    async def invalidate(self, groups: Iterable[str]) -> None:
        """Drop every entry filed under `groups`; raises CacheUnavailableError if Redis cannot."""
        wanted = sorted(set(groups))
        if not wanted:
            return
        if not self.breaker.allow():
            raise CacheUnavailableError(f"{self.name}: circuit breaker open")
        try:
            await self._invalidate(keys=[*map(self._epoch, wanted), *map(self._members, wanted)])
        except REDIS_ERRORS as exc:
            self.breaker.failed()
            raise CacheUnavailableError(f"{self.name}: {exc!r}") from exc
        self.breaker.succeeded()
        metrics.cache_invalidations.labels(self.name, "applied").inc(len(wanted))

    # --- naming ------------------------------------------------------------------------------

    def _entry(self, key: str) -> str:
        return f"{self.name}:entry:{key}"

    def _lock(self, key: str) -> str:
        return f"{self.name}:lock:{key}"

    def _epoch(self, group: str) -> str:
        return f"{self.name}:epoch:{group}"

    def _members(self, group: str) -> str:
        return f"{self.name}:members:{group}"

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def _count(self, result: str) -> None:
        metrics.cache_lookups.labels(self.name, result).inc()
