"""Pausing Python's cyclic garbage collector around bulk work.

Parsing a file or storing a matching run builds millions of small objects that stay
alive until the work ends, and none of them is in a reference cycle. The cyclic
collector runs again and again as they are allocated, and each full pass walks
every object the process holds, so its cost grows with the work squared. Reference
counting still frees memory while the collector is paused.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Blocks inside a pause, and whether the collector ran before the outermost one
# began. Coroutines of one event loop may overlap their pauses, so the collector
# resumes only when the last of them ends.
_depth = 0
_resume = False


@contextmanager
def cyclic_collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the block runs.

    Pauses nest and may overlap between coroutines: the collector runs again when
    every block that paused it has ended, and only if it ran before the first.
    """
    global _depth, _resume  # noqa: PLW0603 - one collector per process
    if _depth == 0:
        _resume = gc.isenabled()
        gc.disable()
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0 and _resume:
            gc.enable()
