"""The sync's read-ahead: a thread that follows Apple's cursor, a few pages ahead of the writer."""

from __future__ import annotations

import threading
import time

from devices.read_ahead import ReadAhead
from tokens.dep_client import DepError, DevicePage


class Apple:
    """Pages "0" → "1" → … → `last`, each page's cursor the next one; records the calls."""

    def __init__(self, last: int, *, fail_at: str = "", echo_at: str = "") -> None:
        self.last = last
        self.fail_at = fail_at
        self.echo_at = echo_at
        self.calls: list[str] = []
        self.threads: set[str] = set()

    def __call__(self, phase: str, cursor: str) -> DevicePage:
        self.calls.append(cursor)
        self.threads.add(threading.current_thread().name)
        if cursor == self.fail_at:
            raise DepError("Apple answered HTTP 503.", status=503)
        if cursor == self.echo_at:
            return DevicePage(cursor=cursor, devices=[], more_to_follow=True)
        following = int(cursor) + 1
        return DevicePage(
            cursor=str(following), devices=[{"serial_number": cursor}], more_to_follow=following <= self.last
        )


def settled(apple: Apple, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(apple.calls) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)  # and no more than that


class ReadAheadTests:
    def test_it_follows_the_cursor_and_hands_the_pages_over_in_order(self) -> None:
        apple = Apple(last=5)
        ahead = ReadAhead(apple, depth=3)
        ahead.start("fetch", "1")
        pages = []
        cursor = "1"
        while True:
            page = ahead.take("fetch", cursor)
            assert page is not None
            pages.append(page.devices[0]["serial_number"])
            if not page.more_to_follow:
                break
            ahead.start("fetch", page.cursor)  # already on its way: nothing more is asked
            cursor = page.cursor
        ahead.stop()
        assert pages == ["1", "2", "3", "4", "5"]
        assert apple.calls == ["1", "2", "3", "4", "5"]  # each page asked once
        assert apple.threads == {"apple-read-ahead"}

    def test_it_stays_at_most_depth_pages_ahead_of_the_writer(self) -> None:
        apple = Apple(last=50)
        ahead = ReadAhead(apple, depth=2)
        ahead.start("fetch", "1")
        settled(apple, 2)
        assert apple.calls == ["1", "2"]  # two pages kept, the third waits for room
        assert ahead.take("fetch", "1") is not None
        settled(apple, 3)
        assert apple.calls == ["1", "2", "3"]
        assert ahead.waited_for_writer > 0
        ahead.stop()

    def test_a_failed_read_is_left_to_the_caller_with_the_thread_stopped(self) -> None:
        apple = Apple(last=9, fail_at="3")
        ahead = ReadAhead(apple, depth=3)
        ahead.start("fetch", "1")
        assert ahead.take("fetch", "1") is not None
        assert ahead.take("fetch", "2") is not None
        assert ahead.take("fetch", "3") is None  # the engine calls again, with its retries
        assert not ahead._alive()
        assert apple.calls == ["1", "2", "3"]

    def test_a_page_off_the_chain_stops_it(self) -> None:
        apple = Apple(last=9)
        ahead = ReadAhead(apple, depth=2)
        ahead.start("fetch", "1")
        settled(apple, 2)
        assert ahead.take("sync", "1") is None  # another phase: not what the thread reads
        assert not ahead._alive()
        assert ahead.take("fetch", "1") is None  # the pages kept are forgotten

    def test_apples_echoed_cursor_ends_the_chain(self) -> None:
        apple = Apple(last=9, echo_at="2")
        ahead = ReadAhead(apple, depth=3)
        ahead.start("fetch", "1")
        settled(apple, 2)
        echoed = ahead.take("fetch", "2") if ahead.take("fetch", "1") else None
        assert echoed is not None and echoed.cursor == "2" and echoed.more_to_follow
        assert apple.calls == ["1", "2"]  # not read again and again
        ahead.stop()
