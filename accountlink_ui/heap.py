"""Keep Python's cycle collector off the objects every server process holds for life.

After start-up a backend process holds a large, permanent heap (SQLAlchemy's mappers and
compiled-statement cache, FastAPI's routes, Reflex's state classes, the models). The
cycle collector's oldest generation walks all of it each time it runs, which a busy
process triggers often: a 500-claim POST spent about a fifth of its CPU there
(bench/intake.py). ``gc.freeze`` moves what exists now into a permanent generation the
collector skips; objects made later are collected as usual, so nothing leaks that would
not leak anyway. The same advice as CPython's docs give for servers (``gc.freeze``).
"""

from __future__ import annotations

import gc


def settle_after_start_up() -> None:
    """Collect what start-up left behind, then exempt the rest from future collections."""
    gc.collect()
    gc.freeze()
