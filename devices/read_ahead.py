"""Apple's next pages, read while the sync writes the ones before them.

Apple's cursor is a chain: a page's request needs the cursor of the page before it, so at most
one request can be on its way. A thread follows the chain on its own, each page's cursor as soon
as the page is in, and keeps up to `depth` pages for the writer. Apple is then never left idle
while a page is written, and a slow page (written or read) is absorbed by the pages kept.

The thread only calls Apple (never the database). The DEP client is not thread-safe: the engine
calls Apple itself only after `take` answered None, by which time the thread has stopped.
A failed read is not retried here: `take` answers None and the engine calls again, with its
retries and their back-off (tokens.apple_retry).
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable

from tokens.dep_client import DevicePage

Key = tuple[str, str]  # (phase, cursor): the page that follows this cursor in this phase


class ReadAhead:
    def __init__(self, call: Callable[[str, str], DevicePage], *, depth: int) -> None:
        self._call = call
        self._depth = max(1, depth)
        self._changed = threading.Condition()
        self._pages: dict[Key, DevicePage | None] = {}  # None: the read failed
        self._reading: Key | None = None  # the key the thread reads now, or will read next
        self._thread: threading.Thread | None = None
        self._stopping = False
        # Where the time went, for the run's log line: the writer waiting for Apple's pages (the
        # sync goes at Apple's pace), the thread waiting for room (at the writer's pace).
        self.waited_for_apple = 0.0
        self.waited_for_writer = 0.0

    def start(self, phase: str, cursor: str) -> None:
        """Read the pages from (phase, cursor) on, unless the thread already goes there."""
        key = (phase, cursor)
        with self._changed:
            if key in self._pages or (self._alive() and key == self._reading):
                return
        self.stop()
        self._stopping = False
        self._reading = key
        context = contextvars.copy_context()  # the demo clock, as the engine's thread has it
        self._thread = threading.Thread(
            target=context.run, args=(self._follow, key), name="apple-read-ahead", daemon=True
        )
        self._thread.start()

    def take(self, phase: str, cursor: str) -> DevicePage | None:
        """The page after `cursor`, once read; None if the thread does not read it or its read
        failed (the thread has then stopped: the caller may call Apple)."""
        key = (phase, cursor)
        started = time.perf_counter()
        with self._changed:
            while key not in self._pages and key == self._reading and self._alive():
                self._changed.wait()
            page = self._pages.pop(key, None)
            self.waited_for_apple += time.perf_counter() - started
            self._changed.notify_all()  # room for one more page
        if page is None:
            self.stop()
        return page

    def stop(self) -> None:
        """Stop reading (after the request on its way, if any) and forget the pages kept."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._pages.clear()
        self._reading = None

    def _alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stopping

    def _follow(self, key: Key) -> None:
        phase, cursor = key
        while True:
            started = time.perf_counter()
            with self._changed:
                while len(self._pages) >= self._depth and not self._stopping:
                    self._changed.wait()
                self.waited_for_writer += time.perf_counter() - started
                if self._stopping:
                    return
            try:
                page: DevicePage | None = self._call(phase, cursor)
            except Exception:  # noqa: BLE001 — the engine calls again and meets the error itself
                page = None
            # The end of the chain: a failure, the last page, or Apple's echoed cursor (the
            # engine stops the run on it).
            more = page is not None and page.more_to_follow and page.cursor != cursor
            with self._changed:
                if self._stopping:
                    return
                self._pages[(phase, cursor)] = page
                self._reading = (phase, page.cursor) if more and page is not None else None
                self._changed.notify_all()
            if not more or page is None:
                return
            cursor = page.cursor
