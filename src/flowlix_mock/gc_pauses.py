"""Keep garbage-collection pauses short while the in-memory store grows.

Every payment, refund and stored idempotent response is a handful of long-lived Python objects,
and CPython's full collections scan all of them: measured on the benchmark machine, pauses grew
from 13 ms to over 200 ms as a soak added objects, which put POST p99 latency far above the
median. Freezing the heap every second moves what exists into the permanent generation, so
collections only scan what is new. Once a minute the heap is unfrozen and collected in full, so
reference cycles that became garbage after being frozen are still reclaimed.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc

FREEZE_EVERY_SECONDS = 1.0
FULL_COLLECTION_EVERY = 60  # freezes


class PauseControl:
    def __init__(self) -> None:
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        gc.unfreeze()

    @staticmethod
    async def _run() -> None:
        freezes = 0
        while True:
            await asyncio.sleep(FREEZE_EVERY_SECONDS)
            freezes += 1
            if freezes % FULL_COLLECTION_EVERY == 0:
                gc.unfreeze()
                gc.collect()
            gc.freeze()
