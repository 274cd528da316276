"""Pausing the cyclic garbage collector: nested and overlapping pauses."""

import asyncio
import gc
from collections.abc import Iterator

import pytest
from recon_common.collector import cyclic_collector_paused


@pytest.fixture(autouse=True)
def collector_running() -> Iterator[None]:
    """Start each test with the collector running, and leave it running."""
    gc.enable()
    yield
    gc.enable()


def test_collector_runs_again_after_the_block() -> None:
    with cyclic_collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_collector_resumes_after_error() -> None:
    with pytest.raises(RuntimeError), cyclic_collector_paused():
        raise RuntimeError("the stored run failed")
    assert gc.isenabled()


def test_inner_pause_leaves_the_outer_one_in_force() -> None:
    with cyclic_collector_paused():
        with cyclic_collector_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_collector_stays_off_if_it_was_off_before() -> None:
    gc.disable()
    with cyclic_collector_paused():
        pass
    assert not gc.isenabled()


async def test_overlapping_pauses_of_two_coroutines() -> None:
    first_inside = asyncio.Event()
    first_done = asyncio.Event()
    seen: list[bool] = []

    async def first() -> None:
        with cyclic_collector_paused():
            first_inside.set()
            await asyncio.sleep(0)
        first_done.set()

    async def second() -> None:
        await first_inside.wait()
        with cyclic_collector_paused():
            await first_done.wait()
            # The first coroutine's pause ended while this one's goes on.
            seen.append(gc.isenabled())
        seen.append(gc.isenabled())

    await asyncio.gather(first(), second())

    assert seen == [False, True]
