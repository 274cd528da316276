"""Pausing Python's cyclic garbage collector around bulk work.

Parsing a file or storing a matching run builds millions of small objects that stay
alive until the work ends, none of them in a reference cycle. As they are
allocated, the collector runs its young passes again and again and, once enough of
them survive, a full pass over every object of the process. Reference counting
still frees memory while the collector is paused, and objects freed that way cost
no collector pass afterwards.
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
