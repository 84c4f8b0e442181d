"""Several processes on one store (SPEC §9): no update is lost, stale writes conflict."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.policies import SERVICE_POLICY
from tui_desk.core.policy_load import parse_policy_text
from tui_desk.services import HelpDesk
from tui_desk.store.engine import open_store

WRITER = textwrap.dedent(
    """
    import sys
    from tests.policies import SERVICE_POLICY
    from tui_desk.core.policy_load import parse_policy_text
    from tui_desk.services import HelpDesk
    from tui_desk.store.engine import open_store

    desk = HelpDesk(open_store(sys.argv[1], create=True), parse_policy_text(SERVICE_POLICY, "p.toml"))
    for n in range(int(sys.argv[3])):
        desk.note(1, f"{sys.argv[2]} note {n}", author="ana")
        desk.set_fields(1, tags=[f"{sys.argv[2]}{n}"], author="ana")
    """
)


def test_two_processes_writing_one_ticket_lose_nothing(db_path: Path) -> None:
    engine = open_store(str(db_path), create=True)
    desk = HelpDesk(engine, parse_policy_text(SERVICE_POLICY, "p.toml"))
    desk.add_operator("ana")
    start = desk.create_ticket("bo@acme.io", "Shared ticket").ticket.version
    root = Path(__file__).resolve().parents[2]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db_path), name, "25"],
            cwd=root,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    detail = desk.ticket(1)
    notes = [e.body for e in detail.events if e.kind == "note"]
    assert sorted(notes) == sorted(f"{p} note {n}" for p in "ab" for n in range(25))
    assert len(detail.ticket.tags) == 50
    assert detail.ticket.version == start + 100
    engine.dispose()
