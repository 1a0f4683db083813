"""The cyclic garbage collector held off while a large file is built.

An export of 20,000 tasks keeps its rows (model instances, row objects, the rows' text) alive until
the file is written, and each full collection the allocations trigger walks all of them again: at
20,000 tasks that was a fifth of the Period report's CPU time, and what made it grow faster than
its rows (5.7–6.1× the CPU time at 5× the tasks, 4.8× with the collector held off). What an export
builds is freed by reference counting once the response is sent; any cycle in it by the first
collection after the block, when the collector runs again as it was (once the last open block ends)."""

import gc
import threading
from contextlib import ContextDecorator

# The collector is one per process: blocks that overlap (nested, or in two threads of one worker)
# are counted, and the last to end turns it back on if the first found it on.
_lock = threading.Lock()
_open_blocks = 0
_was_enabled = False


class collection_paused(ContextDecorator):
    """`with collection_paused():` or `@collection_paused()`: no cyclic collection in the block."""

    def __enter__(self):
        global _open_blocks, _was_enabled
        with _lock:
            if _open_blocks == 0:
                _was_enabled = gc.isenabled()
                gc.disable()
            _open_blocks += 1
        return self

    def __exit__(self, *exc):
        global _open_blocks
        with _lock:
            _open_blocks -= 1
            if _open_blocks == 0 and _was_enabled:
                gc.enable()
        return False
