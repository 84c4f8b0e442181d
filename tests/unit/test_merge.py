"""Merging a duplicate into another ticket (SPEC §4.2, §7 `merge` events): the thread is
copied, both tickets link to each other, the source turns void and gives its quota credit
back, and refusals write nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.policies import SERVICE_POLICY
from tests.unit.test_services import hd  # noqa: F401  (the services' desk fixture)
from tui_desk.cli import main
from tui_desk.services import BadInput, Conflict, HelpDesk, NotFound
from tui_desk.services.merge import merge, merge_many
from tui_desk.services.quota import quota_overview


@pytest.fixture
def acme(request: pytest.FixtureRequest) -> HelpDesk:
    """The services' test desk (`hd`), with Acme on a plan of 3 tickets a week."""
    desk: HelpDesk = request.getfixturevalue("hd")
    desk.add_contract("Acme", "premium", "2026-01-01")
    return desk


def _rows(desk: HelpDesk) -> tuple[int, ...]:
    """What a refused merge must leave as it was: events, and every ticket's version."""
    with desk.engine.connect() as conn:
        events = conn.execute(sa.text("SELECT count(*) FROM event")).scalar()
        versions = conn.execute(sa.text("SELECT version FROM ticket ORDER BY id")).scalars()
        return (int(events or 0), *versions)


def _pair(desk: HelpDesk) -> tuple[int, int]:
    target = desk.create_ticket("bo@acme.io", "Login fails", "Since this morning").ticket.id
    source = desk.create_ticket("kim@acme.io", "Cannot log in", "Same here, urgent").ticket.id
    desk.reply(source, "Looking into it", author="ana")
    desk.note(source, "duplicate of the login ticket", author="ana")
    return source, target


def test_merge_copies_the_thread_links_both_tickets_and_voids_the_source(acme: HelpDesk) -> None:
    source, target = _pair(acme)
    before = acme.ticket(target)
    merged = merge(acme, source, into=target, author="ana")

    assert merged.source.ticket.status == "merged"
    link = merged.source.events[-2]
    assert (link.kind, link.data["into"]) == ("merge", target)
    kinds = [e.kind for e in merged.source.events]  # the source stays readable
    assert kinds == ["customer_message", "quota", "reply", "note", "merge", "status"]

    copy = merged.target.events[-1]
    assert (copy.kind, copy.author, copy.data["from"]) == ("merge", "ana", source)
    assert copy.body is not None
    for text in ("Same here, urgent", "Looking into it", "duplicate of the login ticket"):
        assert text in copy.body
    # The copy is a record, not a customer message: the target's clocks did not move.
    assert merged.target.sla == before.sla
    assert merged.target.ticket.status == before.ticket.status
    assert {clock.state for clock in merged.source.sla.clocks.values()} == {"none"}


def test_a_merged_ticket_gives_its_quota_credit_back(acme: HelpDesk) -> None:
    source, target = _pair(acme)
    acme.create_ticket("bo@acme.io", "Third one this week")
    (quota,) = quota_overview(acme)
    assert quota.used == 3
    merge(acme, source, into=target)
    (quota,) = quota_overview(acme)
    assert quota.used == 2
    assert acme.create_ticket("bo@acme.io", "Fourth").ticket.over_quota is False


def test_merge_refuses_itself_a_void_ticket_a_missing_one_and_a_stale_version(
    acme: HelpDesk,
) -> None:
    source, target = _pair(acme)
    spam = acme.create_ticket("x@acme.io", "Buy now").ticket.id
    acme.set_fields(spam, status="spam")
    seen = acme.ticket(source).ticket.version
    acme.note(source, "someone else was faster", author="ana")
    unchanged = _rows(acme)
    with pytest.raises(BadInput, match="into itself"):
        merge(acme, source, into=source)
    with pytest.raises(BadInput, match="not void"):
        merge(acme, source, into=spam)
    with pytest.raises(BadInput, match="nothing to merge"):
        merge(acme, spam, into=target)
    with pytest.raises(NotFound):
        merge(acme, source, into=999)
    with pytest.raises(Conflict):
        merge(acme, source, into=target, expected_version=seen)
    assert _rows(acme) == unchanged


def test_merging_twice_is_refused(acme: HelpDesk) -> None:
    source, target = _pair(acme)
    merge(acme, source, into=target)
    unchanged = _rows(acme)
    with pytest.raises(BadInput, match="merged already"):
        merge(acme, source, into=target)
    assert _rows(acme) == unchanged


def test_merging_several_tickets_reports_each(acme: HelpDesk) -> None:
    source, target = _pair(acme)
    other = acme.create_ticket("bo@acme.io", "Login again").ticket
    result = merge_many(acme, [(source, None), (other.id, other.version), (target, None)], target)
    assert result.changed == (source, other.id)
    assert [ticket_id for ticket_id, _ in result.failed] == [target]


def test_setting_status_merged_without_a_target_is_refused(acme: HelpDesk) -> None:
    source, _ = _pair(acme)
    unchanged = _rows(acme)
    with pytest.raises(BadInput, match=f"ticket merge {source} --into"):
        acme.set_fields(source, status="merged")
    assert _rows(acme) == unchanged


@pytest.fixture
def run(db_path: Path, tmp_path: Path, clock, capsys: pytest.CaptureFixture[str]):  # noqa: ANN001
    """`tui-desk ARGS` on the `acme` store, under its policy and at its now."""
    policy = tmp_path / "policy.toml"
    policy.write_text(SERVICE_POLICY, encoding="utf-8")
    now = clock().isoformat()

    def _run(*args: str) -> tuple[int, str, str]:
        try:
            code = main(["--db", str(db_path), "--policy", str(policy), "--now", now, *args])
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def test_ticket_merge_on_the_command_line(acme: HelpDesk, run) -> None:  # noqa: ANN001
    source, target = _pair(acme)
    version = acme.ticket(source).ticket.version
    code, _, err = run("ticket", "set", str(source), "--status", "merged", "--as", "ana")
    assert (code, err.strip()) == (
        2,
        f"tui-desk: a merged ticket needs the ticket it was merged into: "
        f"tui-desk ticket merge {source} --into TARGET",
    )
    code, _, err = run("ticket", "merge", str(source), "--into", str(target), "--if-version", "1")
    assert code == 4
    code, out, _ = run(
        "ticket", "merge", str(source), "--into", str(target), "--if-version", str(version)
    )
    assert code == 0 and out.startswith(f"#{source} merged into #{target}; status merged")
    code, out, _ = run("ticket", "show", str(target))
    assert f"merged in from #{source} (ana)" in out and "Cannot log in" in out
