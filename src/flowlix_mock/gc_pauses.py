"""Keep garbage-collection pauses short while the in-memory store grows.

Every payment, refund and stored idempotent response is a handful of long-lived Python objects,
and CPython's full collections scan all of them: measured on the benchmark machine, pauses grew
from 13 ms to over 200 ms as a soak added objects, which put POST p99 latency far above the
median. Freezing the heap every second moves what exists into the permanent generation, so
collections only scan what is new. Once a minute the heap is unfrozen and collected in full, so
reference cycles that became garbage after being frozen are still reclaimed.
"""

from __future__ import annotations

import gc

from .plumbing import Periodic

FREEZE_EVERY_SECONDS = 1.0
FULL_COLLECTION_EVERY = 60  # freezes


class PauseControl:
    def __init__(self) -> None:
        self._freezes = 0
        self._task = Periodic(FREEZE_EVERY_SECONDS, self._step, "garbage-collection freeze")

    async def start(self) -> None:
        await self._task.start()

    async def stop(self) -> None:
        await self._task.stop()
        gc.unfreeze()

    def _step(self) -> None:
        self._freezes += 1
        if self._freezes % FULL_COLLECTION_EVERY == 0:
            gc.unfreeze()
            gc.collect()
        gc.freeze()
