"""Whether the stores can be read and written now: the health routes' and the runner's probe.

Owns: the cheap probes (each store's ``ping``; on the embedded backend also one counter write
and one small blob write, so a full disk or a read-only database shows), caching their outcome
for a few seconds so health checks and the sweep cost little, and the reasons given when
storage is unusable. Does not own answering HTTP (``api.routers.health``) or recovering jobs
(``orchestration.runner``).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from framelens.stores import layout
from framelens.stores.failures import failure_reason

if TYPE_CHECKING:
    from collections.abc import Callable

    from framelens.stores import Stores

__all__ = ["StorageProbe", "StorageState"]

log = logging.getLogger(__name__)
_PROBE_COUNTER = "health#probe"
_PROBE_TTL_S = 3600


@dataclass(frozen=True, slots=True)
class StorageState:
    """The outcome of one probe: ``ok`` when every store answered and every write went through.

    ``stores`` maps each probe (``blobs``, ``jobs``..., ``metadata_write``, ``blob_write``) to
    ``"ok"`` or what failed; ``reasons`` say it in words for operators.
    """

    ok: bool
    stores: dict[str, str]
    reasons: list[str] = field(default_factory=list)


class StorageProbe:
    """Probes the stores, at most once per ``ttl_s`` unless asked for a fresh answer.

    Examples:
        >>> probe = StorageProbe(stores, write=True)  # doctest: +SKIP
        >>> probe.check().ok  # doctest: +SKIP
        True
    """

    def __init__(
        self,
        stores: Stores,
        *,
        write: bool,
        ttl_s: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Args:
        stores: The stores to probe.
        write: Also try a counter write and a blob write (the embedded backend, whose disk
            can fill up; in AWS, S3 and DynamoDB do not, and health must not cost writes).
        ttl_s: How long an answer is reused.
        clock: Monotonic seconds (injected in tests).
        """
        self._stores = stores
        self._write = write
        self._ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._last: tuple[float, StorageState] | None = None

    def check(self, *, fresh: bool = False) -> StorageState:
        """The stores' state, probed now when ``fresh`` or when the cached answer is stale."""
        with self._lock:
            now = self._clock()
            if not fresh and self._last is not None and now - self._last[0] < self._ttl_s:
                return self._last[1]
            state = self._probe()
            if not state.ok and (self._last is None or self._last[1].ok):
                log.warning("storage is not usable: %s", "; ".join(state.reasons))
            elif state.ok and self._last is not None and not self._last[1].ok:
                log.warning("storage is usable again")
            self._last = (now, state)
            return state

    def _probe(self) -> StorageState:
        stores = self._stores.health()
        reasons = [
            f"store {name} cannot be read ({what})" for name, what in stores.items() if what != "ok"
        ]
        if self._write:
            for name, write in (("metadata_write", self._write_counter), ("blob_write", self._put)):
                try:
                    write()
                    stores[name] = "ok"
                except Exception as exc:  # noqa: BLE001 - a probe reports, never raises
                    why = failure_reason(exc)
                    stores[name] = why
                    what = "the metadata store" if name == "metadata_write" else "the blob store"
                    reasons.append(f"{what} cannot be written ({why})")
        return StorageState(ok=not reasons, stores=stores, reasons=reasons)

    def _write_counter(self) -> None:
        self._stores.counters.incr(_PROBE_COUNTER, 1, ttl_s=_PROBE_TTL_S)

    def _put(self) -> None:
        self._stores.blobs.put(layout.health_probe_key(), b"ok", "text/plain")
