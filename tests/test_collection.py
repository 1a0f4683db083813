"""core.collection: the collector held off in the block and given back as it was."""

import gc

import pytest

from core.collection import collection_paused


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    gc.enable() if was else gc.disable()


def test_paused_in_the_block_and_back_after_it(collector_on):
    with collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_back_after_an_error(collector_on):
    with pytest.raises(ValueError), collection_paused():
        raise ValueError
    assert gc.isenabled()


def test_a_block_inside_another_leaves_it_off(collector_on):
    @collection_paused()
    def inner():
        return gc.isenabled()

    with collection_paused():
        assert inner() is False
        assert not gc.isenabled()
    assert gc.isenabled()


def test_left_off_when_it_was_off(collector_on):
    gc.disable()
    with collection_paused():
        pass
    assert not gc.isenabled()


def test_overlapping_blocks_turn_it_on_once_both_ended(collector_on):
    # Two requests of one threaded worker: the first ends while the second still runs.
    first, second = collection_paused(), collection_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()
