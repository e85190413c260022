"""Run a coroutine to completion from a test, whatever loop the thread already has.

Playwright's sync API (the browser tests) leaves an event loop running in the main thread
for the rest of the session, so ``asyncio.run`` there fails once a browser test has run.
A fresh thread has no loop; the coroutine gets its own there, with a copy of the caller's
context variables (Reflex keeps its state registry in one).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-loop") as thread:
        context = contextvars.copy_context()
        return thread.submit(context.run, asyncio.run, coroutine).result()
