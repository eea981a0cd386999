"""The device sync engine: one SyncRun, page by page, against Apple's DEP API over HTTP.

How a run goes (apple-dep-api.md §1.4):
- full: walk every device (`POST /server/devices`) until `more_to_follow` is false, then read
  the change feed (`POST /devices/sync`) from the walk's last cursor, which Apple accepts; at the
  end, the token's devices the walk did not list are marked removed, and the devices an
  administrator deleted may come back;
- delta: read the change feed from the cursor the last sync left;
- new serial numbers: walk every device but add only the serial numbers Intune does not know.

Reliability:
- one worker per run: a lease on the run (owner + expiry), renewed with every page; a lease
  left to expire (a killed worker) is taken over by the next delivery of the task;
- each page is written in one transaction with the cursor that follows it and the lease check,
  so a redelivered task resumes after the last page written, never losing or doubling a device;
- Apple's refusals that retrying cannot fix (T_C_NOT_SIGNED, ACCESS_DENIED, token_rejected,
  token_expired…) end the run at once with Apple's code on the token; 429, 5xx and timeouts
  are tried again with a back-off that honours Retry-After, within the request's deadline;
- EXHAUSTED_CURSOR moves a walk on to the change feed; EXPIRED_CURSOR and INVALID_CURSOR start
  again with a full walk; Apple's echoed-cursor bug stops the run cleanly instead of looping.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, connections, router, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce

from asm_portal import clock
from asm_portal.jobs import owner_gone, worker_id
from devices.bulk import (
    APPLE_FIELDS,
    copy_supported,
    device_values,
    devices_copy,
    devices_write,
    page_transaction,
    serial_of,
)
from devices.models import DeletedDevice, Device, EnrollmentState, ProfileStatus, SyncRun, TokenSyncState
from devices.read_ahead import ReadAhead
from profiles.models import EnrollmentProfile
from tokens.apple_retry import Reschedule, apple_call, error_code
from tokens.dep_client import DepClient, DepError, DevicePage
from tokens.models import EnrollmentProgramToken
from tokens.services import token_apple_call_failed, token_apple_call_succeeded, token_dep_client

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Where Apple's profile is in a device's values (devices.bulk.device_values), and in a row of
# SyncEngine._rows (after the tenant, the token and the serial number).
UUID_INDEX = APPLE_FIELDS.index("apple_profile_uuid")
STATUS_INDEX = APPLE_FIELDS.index("profile_status")
ASSIGN_TIME_INDEX = APPLE_FIELDS.index("apple_profile_assign_time")
ROW_UUID = 3 + UUID_INDEX
REMOVED = ProfileStatus.REMOVED.value

# Refusals of Apple's that no retry can fix: the run ends, the token shows the code.
CURSOR_RESTART_CODES = ("EXPIRED_CURSOR", "INVALID_CURSOR", "CURSOR_REQUIRED")
ECHOED_CURSOR = "ECHOED_CURSOR"
TIMEOUT = "TIMEOUT"


class SyncFailed(Exception):
    """The run ends in error: `code` is Apple's (or TIMEOUT) and goes on the token."""

    def __init__(self, code: str, status: int | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.status = status


class LeaseLost(Exception):
    """Another worker took the run over: this one stops without writing anything more."""


@dataclass(frozen=True)
class Outcome:
    state: str
    retry_in: float | None = None


# --- The run --------------------------------------------------------------------------------


def lease_take(*, run_id: int, worker: str) -> SyncRun | None:
    """Take the run if it is still to do and nobody holds a live lease on it (one atomic UPDATE).

    A live lease whose owner process is gone (a pool child killed by the OOM killer: its
    message comes back at once, long before the lease expires) is taken over too."""
    now = clock.now()
    free = Q(lease_owner="") | Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now)
    holder = SyncRun.objects.filter(pk=run_id).values_list("lease_owner", flat=True).first()
    if holder and owner_gone(holder):
        logger.warning("Sync run %s: its lease holder %s is gone, the run is taken over", run_id, holder)
        free |= Q(lease_owner=holder)
    taken = (
        SyncRun.objects.filter(pk=run_id, state__in=SyncRun.ACTIVE_STATES)
        .filter(free)
        .update(
            lease_owner=worker,
            lease_expires_at=now + timedelta(seconds=settings.SYNC_LEASE_SECONDS),
            state=SyncRun.State.RUNNING,
            started_at=Coalesce(F("started_at"), now),
            attempts=F("attempts") + 1,
        )
    )
    if not taken:
        return None
    return SyncRun.objects.get(pk=run_id)


class SyncEngine:
    """Runs one SyncRun for the worker that holds its lease."""

    def __init__(self, run: SyncRun, token: EnrollmentProgramToken, client: DepClient, worker: str) -> None:
        self.run = run
        self.token = token
        self.client = client
        self.worker = worker
        self.page_size = max(1, min(settings.SYNC_PAGE_SIZE, 1000))
        # Apple's profile uuids of this token's profiles: Apple's answer says which one a device has.
        self.profiles_by_uuid: dict[str, int] = {
            apple_uuid.replace("-", "").upper(): pk
            for pk, apple_uuid in EnrollmentProfile.objects.filter(token_id=token.pk)
            .exclude(apple_profile_uuid="")
            .values_list("pk", "apple_profile_uuid")
        }
        self.walk_completed = run.phase == SyncRun.Phase.SYNC
        self._ahead = ReadAhead(self._call, depth=settings.SYNC_READ_AHEAD_PAGES)
        self.counts_on_write = connections[router.db_for_write(Device)].vendor == "postgresql"
        # A full walk into a token that has no devices but the ones this run wrote (its first
        # sync, or one resumed after a crash): its pages can be copied in without merging.
        self.first_fill = (
            run.kind == SyncRun.Kind.FULL
            and run.phase == SyncRun.Phase.FETCH
            and not Device.objects.filter(token_id=token.pk).exclude(last_seen_run_id=run.pk).exists()
        )

    # -- the loop --

    def execute(self) -> str:
        """Pages until the end; the warning code when the run stopped early, else ""."""
        run = self.run
        if run.kind == SyncRun.Kind.DELTA and not run.cursor and run.phase == SyncRun.Phase.SYNC:
            self._restart_full()
        try:
            while True:
                self._check_deadline()
                done = self._fetch_step() if run.phase == SyncRun.Phase.FETCH else self._sync_step()
                if done is not None:
                    return done
        finally:
            self._ahead.stop()
            logger.info(
                "Sync run %s: %d pages; the writer waited %.1f s for Apple's pages, the read-ahead "
                "%.1f s for the writer",
                run.pk,
                run.pages,
                self._ahead.waited_for_apple,
                self._ahead.waited_for_writer,
            )

    # -- reading ahead: Apple prepares the next pages while this one is written --

    def _read(self, phase: str, cursor: str) -> DevicePage:
        """The page after `cursor`: the one read ahead if it is that one, else a call now (with
        the retries; a failed read-ahead is simply done again)."""
        page = self._ahead.take(phase, cursor)
        if page is not None:
            return page
        return self._apple(partial(self._call, phase, cursor))

    def _read_ahead(self, phase: str, cursor: str) -> None:
        # The client is used by one thread at a time: the read-ahead thread until `take` answers
        # None, then this one. The read-ahead thread never touches the database.
        self._ahead.start(phase, cursor)

    def _call(self, phase: str, cursor: str) -> DevicePage:
        if phase == SyncRun.Phase.FETCH:
            return self.client.fetch_devices(cursor=cursor, limit=self.page_size)
        return self.client.sync_devices(cursor=cursor, limit=self.page_size)

    def _fetch_step(self) -> str | None:
        run = self.run
        try:
            page = self._read(SyncRun.Phase.FETCH, run.cursor)
        except DepError as error:
            if error.code == "EXHAUSTED_CURSOR" and run.cursor:
                # The walk already reached its end (a resumed run): on to the change feed.
                return self._walk_finished(run.cursor, write=False)
            if error.code in CURSOR_RESTART_CODES and run.cursor and not run.restarted_full:
                self._restart_full()
                return None
            raise
        if self._echoed(page):
            return ECHOED_CURSOR
        if page.more_to_follow:
            self._read_ahead(SyncRun.Phase.FETCH, page.cursor)
            self._write_fetch_page(page, phase=SyncRun.Phase.FETCH)
            return None
        return self._walk_finished(page.cursor, write=True, page=page)

    def _walk_finished(self, cursor: str, *, write: bool, page: DevicePage | None = None) -> str | None:
        run = self.run
        if run.kind == SyncRun.Kind.NEW_SERIALS:
            if write and page is not None:
                self._write_fetch_page(page, phase=SyncRun.Phase.FETCH)
            self.walk_completed = True
            return ""
        # The walk's last cursor reads the changes made since the walk began.
        if write and page is not None:
            self._write_fetch_page(page, phase=SyncRun.Phase.SYNC)
        else:
            self._save_progress(cursor=cursor, phase=SyncRun.Phase.SYNC, count_page=False)
        self.walk_completed = True
        return None

    def _sync_step(self) -> str | None:
        run = self.run
        try:
            page = self._read(SyncRun.Phase.SYNC, run.cursor)
        except DepError as error:
            if error.code in CURSOR_RESTART_CODES and not run.restarted_full:
                self._restart_full()
                return None
            raise
        if self._echoed(page):
            return ECHOED_CURSOR
        if page.more_to_follow:
            self._read_ahead(SyncRun.Phase.SYNC, page.cursor)
        self._write_sync_page(page)
        return None if page.more_to_follow else ""

    def _echoed(self, page: DevicePage) -> bool:
        """Apple's known bug: the request's own cursor back, with more to follow. Looping on it
        would never end; the run stops here and the next sync starts from this cursor."""
        if page.more_to_follow and self.run.cursor and page.cursor == self.run.cursor:
            logger.warning("Apple echoed the cursor of token %s; the sync stops", self.token.pk)
            return True
        return False

    def _restart_full(self) -> None:
        """Apple no longer accepts the cursor: read every device again (a full sync)."""
        run = self.run
        logger.info("Token %s: cursor refused, the sync starts again as a full sync", self.token.pk)
        with transaction.atomic():
            self._renew(kind=SyncRun.Kind.FULL, phase=SyncRun.Phase.FETCH, cursor="", restarted_full=True)
        run.kind, run.phase, run.cursor, run.restarted_full = (
            SyncRun.Kind.FULL,
            SyncRun.Phase.FETCH,
            "",
            True,
        )
        self.walk_completed = False

    def _check_deadline(self) -> None:
        if clock.now() >= self.run.deadline_at:
            raise SyncFailed(TIMEOUT)

    def _apple(self, call: Callable[[], T]) -> T:
        return apple_call(call, deadline=self.run.deadline_at, before_sleep=self._extend_lease)

    # -- writing pages --

    def _existing(self, serials: Iterable[str]) -> set[str]:
        return set(
            Device.objects.filter(token_id=self.token.pk, serial_number__in=list(serials)).values_list(
                "serial_number", flat=True
            )
        )

    def _deleted_by_admin(self, serials: Iterable[str]) -> set[str]:
        return set(
            DeletedDevice.objects.filter(token_id=self.token.pk, serial_number__in=list(serials)).values_list(
                "serial_number", flat=True
            )
        )

    def _write_fetch_page(self, page: DevicePage, *, phase: str) -> None:
        devices: dict[str, dict[str, Any]] = {}
        for device in page.devices:
            serial = serial_of(device)
            if serial:
                devices[serial] = device
        try:
            self._write_fetched(devices, cursor=page.cursor, phase=phase)
        except IntegrityError:
            if not self.first_fill:
                raise
            # A serial number already there (a walk started again, a device listed twice): the
            # page was rolled back; it is written again by merging, and so are the next ones.
            logger.info("Token %s: a serial number is already there, the pages are merged", self.token.pk)
            self.first_fill = False
            self._write_fetched(devices, cursor=page.cursor, phase=phase)

    def _write_fetched(self, devices: dict[str, dict[str, Any]], *, cursor: str, phase: str) -> None:
        with page_transaction():
            if self.run.kind == SyncRun.Kind.NEW_SERIALS:
                # Known serial numbers stay as they are (DO NOTHING); deleted ones stay deleted.
                skipped = self._deleted_by_admin(devices)
                added = self._insert({s: d for s, d in devices.items() if s not in skipped})
                updated = 0
            else:
                added = self._upsert(devices)
                updated = len(devices) - added
            self._save_progress(cursor=cursor, phase=phase, added=added, updated=updated)

    def _write_sync_page(self, page: DevicePage) -> None:
        # The same serial can appear several times: the latest op_date wins (Apple's rule).
        latest: dict[str, dict[str, Any]] = {}
        for device in page.devices:
            serial = serial_of(device)
            if not serial:
                continue
            previous = latest.get(serial)
            if previous is None or str(device.get("op_date") or "") >= str(previous.get("op_date") or ""):
                latest[serial] = device
        changed = {s: d for s, d in latest.items() if d.get("op_type") in ("added", "modified")}
        deleted = [s for s, d in latest.items() if d.get("op_type") == "deleted"]
        now = clock.now()
        with page_transaction():
            tombstones = self._deleted_by_admin(changed)
            if tombstones:
                # A device the administrator deleted comes back when Apple assigns it again
                # (added); other changes of it wait for the next full sync.
                back = {s for s in tombstones if changed[s].get("op_type") == "added"}
                DeletedDevice.objects.filter(token_id=self.token.pk, serial_number__in=back).delete()
                changed = {s: d for s, d in changed.items() if s not in tombstones or s in back}
            added = self._upsert(changed)
            removed = Device.objects.filter(
                token_id=self.token.pk, serial_number__in=deleted, removed_by_apple=False
            ).update(removed_by_apple=True, removed_at=now, updated_at=now)
            self._save_progress(
                cursor=page.cursor,
                phase=SyncRun.Phase.SYNC,
                added=added,
                updated=len(changed) - added,
                removed=removed,
            )

    def _rows(self, devices: dict[str, dict[str, Any]], *, removed_unassigns: bool) -> list[tuple[Any, ...]]:
        """The page's rows in INSERT_COLUMNS order (a new device: not contacted yet), in
        serial-number order (the index pages are then visited in order: fewer page reads).
        The assigned profile is ours that Apple's profile uuid names (none for a uuid we do not
        know, and, if `removed_unassigns`, for a profile Apple says was removed)."""
        now = clock.now()
        head = (self.token.tenant_id, self.token.pk)
        # enrollment_state … last_seen_run_id: what a device not contacted yet has.
        tail = (EnrollmentState.NOT_CONTACTED.value, None, False, None, "", "", None, now, now, self.run.pk)
        profiles = self.profiles_by_uuid
        rows = []
        for serial, device in sorted(devices.items()):
            values = device_values(device)
            profile_id = profiles.get(values[UUID_INDEX])
            if profile_id is not None and removed_unassigns and values[STATUS_INDEX] == REMOVED:
                profile_id = None
            assigned_at = values[ASSIGN_TIME_INDEX] if profile_id else None
            rows.append((*head, serial, *values, profile_id, assigned_at, *tail))
        return rows

    def _insert(self, devices: dict[str, dict[str, Any]]) -> int:
        """Only the serial numbers not known yet; how many there were."""
        return devices_write(self._rows(devices, removed_unassigns=False), update_columns=None) or 0

    def _upsert(self, devices: dict[str, dict[str, Any]]) -> int:
        """Insert new devices, refresh known ones (one statement per kind of profile answer);
        how many were new."""
        rows = self._rows(devices, removed_unassigns=True)
        if self.first_fill and copy_supported():
            # The token has no devices but this run's: the page is copied straight in (a serial
            # number already there fails it with an IntegrityError: see _write_fetch_page).
            return devices_copy(rows)
        # Apple's profile says which of ours is assigned (or none), or names a profile we do not
        # know: ours then stays as it is.
        profiles = self.profiles_by_uuid
        known = [row for row in rows if not row[ROW_UUID] or row[ROW_UUID] in profiles]
        other = [row for row in rows if row[ROW_UUID] and row[ROW_UUID] not in profiles]
        # SQLite's upsert does not say which rows were new: ask before writing (an index range).
        existing = None if self.counts_on_write else len(self._existing(devices))
        common = [*APPLE_FIELDS, "updated_at", "last_seen_run_id", "removed_by_apple", "removed_at"]
        inserted = [
            devices_write(known, update_columns=[*common, "assigned_profile_id", "profile_assigned_at"]),
            devices_write(other, update_columns=common),
        ]
        if existing is not None:
            return len(devices) - existing
        return sum(count or 0 for count in inserted)

    # -- progress and lease --

    def _renew(self, **changes: Any) -> None:
        now = clock.now()
        updated = SyncRun.objects.filter(pk=self.run.pk, lease_owner=self.worker).update(
            lease_expires_at=now + timedelta(seconds=settings.SYNC_LEASE_SECONDS), **changes
        )
        if not updated:
            raise LeaseLost()

    def _extend_lease(self, seconds: float) -> None:
        """Before a back-off sleep: keep the lease for the sleep and a lease period more."""
        expires = clock.now() + timedelta(seconds=seconds + settings.SYNC_LEASE_SECONDS)
        if not SyncRun.objects.filter(pk=self.run.pk, lease_owner=self.worker).update(
            lease_expires_at=expires
        ):
            raise LeaseLost()

    def _save_progress(
        self,
        *,
        cursor: str,
        phase: str,
        added: int = 0,
        updated: int = 0,
        removed: int = 0,
        count_page: bool = True,
    ) -> None:
        """In the page's transaction: the cursor after the page, its counts, the lease."""
        run = self.run
        self._renew(
            cursor=cursor,
            phase=phase,
            pages=F("pages") + int(count_page),
            added=F("added") + added,
            updated=F("updated") + updated,
            removed=F("removed") + removed,
        )
        run.cursor, run.phase = cursor, phase
        run.pages += int(count_page)
        run.added += added
        run.updated += updated
        run.removed += removed


# --- Ending a run ---------------------------------------------------------------------------


def sync_state_for(token_id: int) -> TokenSyncState:
    return TokenSyncState.objects.get_or_create(token_id=token_id)[0]


def _finish_succeeded(engine: SyncEngine, warning: str) -> None:
    run, token = engine.run, engine.token
    now = clock.now()
    with transaction.atomic():
        state = TokenSyncState.objects.select_for_update().get(pk=sync_state_for(token.pk).pk)
        removed = 0
        if run.kind == SyncRun.Kind.FULL and engine.walk_completed:
            # Apple listed every device it assigns: the others have left the MDM server.
            removed = (
                Device.objects.filter(token_id=token.pk, removed_by_apple=False)
                .exclude(last_seen_run_id=run.pk)
                .update(removed_by_apple=True, removed_at=now, updated_at=now)
            )
            # Devices deleted by the administrator came back if Apple still assigns them.
            DeletedDevice.objects.filter(token_id=token.pk).delete()
            state.last_full_sync_at = run.started_at or now
        if run.kind in (SyncRun.Kind.FULL, SyncRun.Kind.DELTA):
            state.cursor = run.cursor if run.phase == SyncRun.Phase.SYNC else state.cursor
            # A walk cut short (echoed cursor) leaves the next sync to be full.
            state.next_must_be_full = run.kind == SyncRun.Kind.FULL and not engine.walk_completed
        state.save()
        if not SyncRun.objects.filter(pk=run.pk, lease_owner=engine.worker).update(
            state=SyncRun.State.SUCCEEDED,
            finished_at=now,
            removed=F("removed") + removed,
            warning_code=warning,
            lease_owner="",
            lease_expires_at=None,
        ):
            raise LeaseLost()
        EnrollmentProgramToken.objects.filter(pk=token.pk).update(last_successful_sync_at=now)
        token_apple_call_succeeded(token=token)
    run.refresh_from_db()


def run_fail(*, run: SyncRun, code: str, status: int | None = None, worker: str | None = None) -> bool:
    """End the run in error: the code on the run and on the token; the next sync reads everything."""
    now = clock.now()
    with transaction.atomic():
        runs = SyncRun.objects.filter(pk=run.pk, state__in=SyncRun.ACTIVE_STATES)
        if worker is not None:
            runs = runs.filter(lease_owner=worker)
        if not runs.update(
            state=SyncRun.State.FAILED,
            finished_at=now,
            error_code=code[:64],
            lease_owner="",
            lease_expires_at=None,
        ):
            return False
        if run.kind in (SyncRun.Kind.FULL, SyncRun.Kind.DELTA):
            # Intune's rule: after a failed delta (or full) sync, the next one is full.
            state = sync_state_for(run.token_id)
            TokenSyncState.objects.filter(pk=state.pk).update(next_must_be_full=True)
        token = EnrollmentProgramToken.objects.all().get(pk=run.token_id)
        token_apple_call_failed(token=token, error=DepError(code, status=status, code=code))
    run.refresh_from_db()
    return True


def sync_run_execute(*, run_id: int, on_finish: Callable[[SyncRun], None] | None = None) -> Outcome:
    """Take the run's lease and run it to its end (or to the next retry); safe to deliver twice."""
    worker = worker_id()
    run = lease_take(run_id=run_id, worker=worker)
    if run is None:
        return Outcome("skipped")
    token = EnrollmentProgramToken.objects.get(pk=run.token_id)
    try:
        if token.expires_at <= clock.now():
            raise SyncFailed("token_expired", 401)
        engine = SyncEngine(run, token, token_dep_client(token=token), worker)
        warning = engine.execute()
        _finish_succeeded(engine, warning)
    except LeaseLost:
        logger.warning("Sync run %s: another worker took the lease over", run_id)
        return Outcome("lost")
    except Reschedule as wait:
        # Give the lease up until then: the next delivery takes it back.
        SyncRun.objects.filter(pk=run.pk, lease_owner=worker).update(
            lease_expires_at=clock.now() + timedelta(seconds=wait.delay)
        )
        return Outcome("waiting", retry_in=wait.delay)
    except SyncFailed as failure:
        run_fail(run=run, code=failure.code, status=failure.status, worker=worker)
    except DepError as error:
        logger.warning("Sync run %s failed: Apple answered %s", run_id, error_code(error))
        run_fail(run=run, code=error_code(error), status=error.status, worker=worker)
    run.refresh_from_db()
    if on_finish is not None:
        on_finish(run)
    return Outcome(run.state)
