"""DELETE /_mock/faults/<id>: one queued fault goes, the others keep answering."""

from __future__ import annotations

from tests.mock_apple.conftest import control, live


@live
class FaultDeleteTests:
    def test_it_deletes_one_fault_and_keeps_the_others(self, dep_server, organization) -> None:
        first = control(dep_server, "POST", "faults", {"endpoint": "*", "status": 503, "count": 50}).json()
        second = control(dep_server, "POST", "faults", {"endpoint": "*", "status": 429, "count": 50}).json()
        assert control(dep_server, "DELETE", f"faults/{first['id']}").status_code == 204
        left = control(dep_server, "GET", "faults").json()["faults"]
        assert [fault["id"] for fault in left] == [second["id"]]
        assert control(dep_server, "DELETE", f"faults/{first['id']}").status_code == 404
        assert control(dep_server, "POST", f"faults/{second['id']}").status_code == 405
