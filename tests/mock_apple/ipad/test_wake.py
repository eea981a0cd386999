"""The wake runner's look-ups never wait on a table lock (mock_apple.ipad.wake)."""

from __future__ import annotations

import psycopg
import pytest
from django.db import OperationalError, connections
from psycopg.errors import LockNotAvailable

from mock_apple.db import DB
from mock_apple.ipad import wake
from tests.conftest import database_url


@pytest.mark.django_db(databases=["default", DB], transaction=True)
def test_a_look_gives_up_on_a_locked_table_instead_of_deadlocking_a_truncate() -> None:
    if connections[DB].vendor != "postgresql":
        pytest.skip("lock_timeout is PostgreSQL's")
    # Another session holds the pushes' table whole, as a TRUNCATE does while it waits for the
    # devices' table the look already read: the look must give up, not wait for the detector.
    try:
        with psycopg.connect(database_url(DB)) as other:
            other.execute("LOCK TABLE mock_apple_apnspush IN ACCESS EXCLUSIVE MODE")
            wake._looks_never_wait()
            with pytest.raises(OperationalError) as raised:
                wake._pending_devices()
            assert isinstance(raised.value.__cause__, LockNotAvailable)
            other.rollback()
        assert wake._pending_devices() == []
    finally:
        with connections[DB].cursor() as cursor:  # the setting is the session's: not for later tests
            cursor.execute("RESET lock_timeout")
