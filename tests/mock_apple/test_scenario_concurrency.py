"""Two organisations built from the same preset at the same time (a class's trainees, one worker
task each): both builds succeed and their serial numbers stay unique. Found by
benchmarks/classroom.py on PostgreSQL, where the second build failed on the unique index."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections

from mock_apple import scenario
from mock_apple.models import Device
from mock_apple.services import mdm_servers
from mock_apple.services import organization as organization_services
from tests.mock_apple.conftest import live

SPEC = {
    "organization": "Trainee School",
    "orders": [
        {"number": "MX1", "date": "2025-01-02", "items": [{"model": "iPad (10th generation)", "count": 6}]}
    ],
    "mdm_servers": [{"name": "Intune", "devices": [{"order": "MX1", "count": 4}]}],
}


def trainee_organization(number: int) -> Any:
    return organization_services.organization_create(
        name=f"Trainee {number:02d} School",
        domain=f"trainee{number:02d}.contoso-school.example",
        admin_first_name="Megan",
        admin_last_name="Bowen",
        language="en",
    ).organization


@live
def test_two_builds_of_the_same_preset_side_by_side_both_succeed(monkeypatch) -> None:
    if connections["apple"].vendor != "postgresql":
        pytest.skip("SQLite lets one transaction write at a time: builds cannot overlap there")
    first, second = trainee_organization(1), trainee_organization(2)
    # The first build stops after its inventory, its serial numbers written but not committed,
    # until the second build has started.
    inventory_written, go_on = threading.Event(), threading.Event()
    server_create = mdm_servers.mdm_server_create

    def held(**kwargs: Any) -> Any:
        if not inventory_written.is_set():
            inventory_written.set()
            go_on.wait(10)
        return server_create(**kwargs)

    monkeypatch.setattr(mdm_servers, "mdm_server_create", held)
    failures: list[BaseException] = []

    def build(organization: Any) -> None:
        try:
            scenario.scenario_build(spec=SPEC, seed="same seed", organization=organization)
        except BaseException as error:  # reported by the test, not lost in the thread
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=build, args=(first,))]
    threads[0].start()
    assert inventory_written.wait(10)
    threads.append(threading.Thread(target=build, args=(second,)))
    threads[1].start()
    threads[1].join(1)  # the second build waits for the first to commit
    go_on.set()
    for thread in threads:
        thread.join(30)
    assert not failures, failures
    serials = {
        organization: set(
            Device.objects.filter(organization=organization).values_list("serial_number", flat=True)
        )
        for organization in (first, second)
    }
    assert len(serials[first]) == len(serials[second]) == 6
    assert not serials[first] & serials[second]
