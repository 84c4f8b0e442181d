"""Quotas through the services and the command line (SPEC §3.1, §4, §7 `quota --json`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.cli_runner import cli_runner, create_store
from tests.policies import SERVICE_POLICY
from tui_desk.core.policy_load import parse_policy_text
from tui_desk.services import HelpDesk, quota_line, quota_overview
from tui_desk.store.engine import open_store

TOKYO_POLICY = SERVICE_POLICY.replace('timezone = "Europe/Berlin"', 'timezone = "Asia/Tokyo"', 1)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _desk(db_path: Path, clock, policy_text: str = SERVICE_POLICY) -> HelpDesk:  # noqa: ANN001
    desk = HelpDesk(
        open_store(str(db_path), create=True), parse_policy_text(policy_text, "test.toml"), clock
    )
    desk.add_operator("ana", "lead")
    desk.add_customer("Acme", domains=["acme.io"])
    return desk


@pytest.fixture
def hd(db_path: Path, clock) -> Iterator[HelpDesk]:  # noqa: ANN001
    clock.set("2026-11-18T12:00:00+00:00")
    desk = _desk(db_path, clock)
    yield desk
    desk.engine.dispose()


@pytest.fixture
def tokyo(db_path: Path, clock) -> Iterator[HelpDesk]:  # noqa: ANN001
    clock.set("2026-11-23T00:00:00+00:00")
    desk = _desk(db_path, clock, TOKYO_POLICY)
    yield desk
    desk.engine.dispose()


def _only(desk: HelpDesk, now: datetime | None = None, customer: str = "Acme"):  # noqa: ANN202
    found = [q for q in quota_overview(desk, now) if q.customer == customer]
    assert len(found) == 1
    return found[0]


# ----------------------------------------------------------------------------------------
# Counting and overage at creation (§4.2, §4.3)


def test_weekly_quota_resets_at_monday_midnight_in_tokyo_though_utc_says_sunday(
    tokyo: HelpDesk,
) -> None:
    tokyo.add_contract("Acme", "premium", "2026-01-01")  # 3 a week, overage no_sla
    for hour in ("01", "02", "03"):  # Sunday 22 Nov, 10:00-12:00 JST
        assert not tokyo.create_ticket(
            "bo@acme.io", "Q", at=f"2026-11-22T{hour}:00Z"
        ).ticket.over_quota
    late_sunday = tokyo.create_ticket("bo@acme.io", "Q", at="2026-11-22T14:30:00Z")  # 23:30 JST
    assert late_sunday.ticket.over_quota
    assert late_sunday.ticket.sla_policy is None
    monday = tokyo.create_ticket("bo@acme.io", "Q", at="2026-11-22T15:30:00Z")  # Mon 00:30 JST
    assert not monday.ticket.over_quota
    assert monday.ticket.sla_policy == "premium"

    before = _only(tokyo, utc("2026-11-22T14:59:59"))
    assert (before.used, before.remaining, before.over_quota, before.level) == (
        4,
        0,
        1,
        "exhausted",
    )
    assert before.period_start == utc("2026-11-15T15:00")  # Mon 16 Nov 00:00 JST
    after = _only(tokyo, utc("2026-11-22T16:00"))
    assert (after.used, after.remaining, after.over_quota) == (1, 2, 0)
    assert after.period_start == after.period_end - (before.period_end - before.period_start)
    assert after.resets_at == utc("2026-11-29T15:00")


def test_fourth_ticket_of_three_per_week_has_no_clocks_under_no_sla(hd: HelpDesk) -> None:
    hd.add_contract("Acme", "premium", "2026-01-01")
    tickets = [hd.create_ticket("bo@acme.io", f"Q{i}") for i in range(4)]
    fourth = tickets[3]
    assert [t.ticket.over_quota for t in tickets] == [False, False, False, True]
    assert fourth.ticket.sla_policy is None and not fourth.ticket.billable
    assert {clock.state for clock in fourth.sla.clocks.values()} == {"none"}
    decision = [e for e in fourth.events if e.kind == "quota"]
    assert decision and decision[0].data["over_quota"] and decision[0].data["sla"] is None
    quota = _only(hd)
    assert (quota.limit, quota.used, quota.remaining, quota.over_quota, quota.billable) == (
        3,
        4,
        0,
        1,
        0,
    )


def test_fourth_ticket_keeps_its_clocks_and_is_billable_under_billable(hd: HelpDesk) -> None:
    hd.add_contract("Acme", "flex", "2026-01-01")
    fourth = [hd.create_ticket("bo@acme.io", f"Q{i}") for i in range(4)][3]
    assert fourth.ticket.over_quota and fourth.ticket.billable
    assert fourth.ticket.sla_policy == "premium"
    assert fourth.sla.clocks["first_response"].state == "running"
    quota = _only(hd)
    assert (quota.used, quota.over_quota, quota.billable) == (4, 1, 1)


def test_marking_a_ticket_spam_gives_its_credit_back(hd: HelpDesk) -> None:
    hd.add_contract("Acme", "premium", "2026-01-01")
    first, *_ = [hd.create_ticket("bo@acme.io", f"Q{i}") for i in range(3)]
    assert _only(hd).remaining == 0
    hd.set_fields(first.ticket.id, status="spam", author="ana")
    assert (_only(hd).used, _only(hd).remaining) == (2, 1)
    assert not hd.create_ticket("bo@acme.io", "Q4").ticket.over_quota
    # An over-quota ticket marked spam leaves the over-quota count too.
    over = hd.create_ticket("bo@acme.io", "Q5")
    assert over.ticket.over_quota and _only(hd).over_quota == 1
    hd.set_fields(over.ticket.id, status="spam", author="ana")
    assert (_only(hd).used, _only(hd).over_quota) == (3, 0)


def test_replies_and_reopenings_take_no_credit(hd: HelpDesk) -> None:
    hd.add_contract("Acme", "premium", "2026-01-01")
    ticket = hd.create_ticket("bo@acme.io", "Q").ticket
    hd.reply(ticket.id, "Done", status="solved", author="ana")
    hd.customer_message(ticket.id, "Not quite")
    assert _only(hd).used == 1


# ----------------------------------------------------------------------------------------
# Which contract (§3.1)


def test_a_securevault_ticket_goes_to_the_securevault_contract_and_its_sla(hd: HelpDesk) -> None:
    general = hd.add_contract("Acme", "basic", "2026-01-01")
    vault = hd.add_contract("Acme", "premium", "2026-01-01", product="securevault")
    detail = hd.create_ticket("bo@acme.io", "SecureVault key rotation failed")
    assert (detail.ticket.product, detail.ticket.contract_id) == ("securevault", vault.id)
    assert (detail.ticket.plan, detail.ticket.sla_policy) == ("premium", "premium")
    other = hd.create_ticket("bo@acme.io", "Invoice question")
    assert (other.ticket.contract_id, other.ticket.sla_policy) == (general.id, "standard")
    rows = [q for q in quota_overview(hd) if q.customer == "Acme"]
    assert [(q.contract_id, q.product, q.used, q.limit) for q in rows] == [
        (general.id, None, 1, None),  # basic is unlimited
        (vault.id, "securevault", 1, 3),
    ]


def test_a_ticket_after_the_contract_end_falls_back_to_the_default_sla(hd: HelpDesk) -> None:
    hd.add_contract("Acme", "premium", "2026-01-01", end="2026-10-31")
    detail = hd.create_ticket("bo@acme.io", "Hello again")
    assert detail.ticket.contract_id is None and not detail.ticket.over_quota
    assert detail.ticket.sla_policy == "standard"  # desk.default_sla
    assert not any(e.kind == "quota" for e in detail.events)
    quota = _only(hd)
    assert (quota.state, quota.level, quota.used, quota.resets_at) == (
        "expired",
        "expired",
        0,
        None,
    )
    assert quota.expires_at == utc("2026-10-31T23:00")  # 1 Nov 00:00 CET


# ----------------------------------------------------------------------------------------
# The overview itself


def test_overview_counts_with_a_fixed_number_of_statements(hd: HelpDesk) -> None:
    for index in range(30):
        hd.add_customer(f"Customer {index}", domains=[f"c{index}.example"])
        hd.add_contract(f"Customer {index}", "premium", "2026-01-01")
        hd.create_ticket(f"ops@c{index}.example", "Hello")
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        statements.append(statement)

    sa.event.listen(hd.engine, "before_cursor_execute", count)
    try:
        overview = quota_overview(hd)
    finally:
        sa.event.remove(hd.engine, "before_cursor_execute", count)
    assert len(overview) == 30 and all(q.used == 1 for q in overview)
    queries = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert len(queries) <= 3, queries


def test_overview_of_an_upcoming_contract_shows_its_first_period(hd: HelpDesk) -> None:
    hd.add_contract("Acme", "premium", "2026-12-02")
    quota = _only(hd)
    assert (quota.state, quota.used, quota.remaining) == ("upcoming", 0, 3)
    assert quota.period_start == utc("2026-11-29T23:00")  # the week of Wed 2 Dec
    assert quota.forecast_exhausted_at is None


def test_quota_line_for_the_ticket_screen(hd: HelpDesk) -> None:
    hd.add_contract("Acme", "premium", "2026-01-01")
    ticket = hd.create_ticket("bo@acme.io", "Q1").ticket
    hd.create_ticket("bo@acme.io", "Q2")
    assert quota_line(hd, ticket) == "Acme · premium · 2 of 3 this week · resets 23 Nov"
    walk_in = hd.create_ticket("kim@elsewhere.example", "Hello").ticket
    assert quota_line(hd, walk_in) is None


# ----------------------------------------------------------------------------------------
# The command line


@pytest.fixture
def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """`tui-desk ARGS` in-process on a private store and SERVICE_POLICY."""
    policy = tmp_path / "policy.toml"
    policy.write_text(SERVICE_POLICY, encoding="utf-8")
    create_store(tmp_path / "desk.sqlite3")
    monkeypatch.setenv("TUI_DESK_DB", str(tmp_path / "desk.sqlite3"))
    monkeypatch.setenv("TUI_DESK_POLICY", str(policy))
    return cli_runner(capsys, monkeypatch)


def _quota_at(run, now: str) -> dict:  # noqa: ANN001
    code, out, err = run("--now", now, "--json", "quota")
    assert code == 0, err
    (item,) = json.loads(out)
    return item


def test_quota_json_at_any_now_in_history(run) -> None:  # noqa: ANN001
    assert run("operator", "add", "ana")[0] == 0
    assert run("customer", "add", "Acme", "--domain", "acme.io")[0] == 0
    assert (
        run(
            "contract",
            "add",
            "Acme",
            "--plan",
            "premium",
            "--start",
            "2026-11-01",
            "--end",
            "2026-11-30",
        )[0]
        == 0
    )
    ids = {}
    for name, at in [
        ("t1", "2026-11-09T10:00"),  # Monday, desk time (CET)
        ("t2", "2026-11-11T10:00"),
        ("t3", "2026-11-12T10:00"),
        ("t4", "2026-11-13T10:00"),  # the 4th this week: over quota
        ("t5", "2026-11-16T10:00"),  # next week
    ]:
        code, out, err = run("ticket", "new", "--from", "bo@acme.io", "--subject", name, "--at", at)
        assert code == 0, err
        ids[name] = out.strip()
    assert run("ticket", "set", ids["t2"], "--status", "spam", "--at", "2026-11-13T12:00")[0] == 0
    assert run("ticket", "set", ids["t2"], "--status", "open", "--at", "2026-11-14T12:00")[0] == 0

    def standing(now: str) -> tuple[int, int, int]:
        item = _quota_at(run, now)
        return item["used"], item["remaining"], item["over_quota"]

    assert standing("2026-11-09T08:59:00Z") == (0, 3, 0)  # before t1
    assert standing("2026-11-12T10:00:00Z") == (3, 0, 0)  # t1-t3; t4 is still to come
    assert standing("2026-11-13T10:30:00Z") == (4, 0, 1)  # t4 over quota
    assert standing("2026-11-13T12:30:00Z") == (3, 0, 1)  # t2 was spam then
    assert standing("2026-11-14T12:30:00Z") == (4, 0, 1)  # and no longer
    assert standing("2026-11-16T12:00:00Z") == (1, 2, 0)  # a new week: t5

    week = _quota_at(run, "2026-11-16T12:00:00Z")
    assert week == {
        "contract_id": 1,
        "customer": "Acme",
        "plan": "premium",
        "product": None,
        "per": "week",
        "period_start": "2026-11-15T23:00:00Z",
        "period_end": "2026-11-22T23:00:00Z",
        "limit": 3,
        "used": 1,
        "remaining": 2,
        "over_quota": 0,
        "billable": 0,
        "resets_at": "2026-11-22T23:00:00Z",
        "expires_at": "2026-11-30T23:00:00Z",
        # 1 credit in the first 13 h counts as 1 a day (the pace's minimum window), so
        # the 2 left run out 2 days later, before the reset.
        "forecast_exhausted_at": "2026-11-18T12:00:00Z",
        "state": "active",
        "level": "normal",
    }
    # Monday 30 Nov is the last day: the week of 30 Nov never resets, the contract ends.
    last_week = _quota_at(run, "2026-11-30T12:00:00Z")
    assert (last_week["resets_at"], last_week["state"]) == (None, "active")
    ended = _quota_at(run, "2026-12-05T12:00:00Z")
    assert (ended["state"], ended["level"], ended["resets_at"]) == ("expired", "expired", None)
    assert ended["period_start"] == "2026-11-29T23:00:00Z"  # its last week

    code, out, _ = run("--now", "2026-11-13T10:30:00Z", "quota")
    assert code == 0
    header, row = out.splitlines()
    assert header.split()[:4] == ["CUSTOMER", "PLAN", "PRODUCT", "PERIOD"]
    assert row.split()[:3] == ["Acme", "premium", "—"]
    assert "4/3" in row and "9 Nov – 15 Nov" in row


def test_quota_on_an_empty_store_says_how_to_add_a_contract(run) -> None:  # noqa: ANN001
    code, out, _ = run("quota")
    assert code == 0 and "contract add" in out
    assert run("--json", "quota")[1].strip() == "[]"


def test_overlapping_contract_is_refused_with_exit_2_and_nothing_written(run) -> None:  # noqa: ANN001
    assert run("customer", "add", "Acme", "--domain", "acme.io")[0] == 0
    assert run("contract", "add", "Acme", "--plan", "premium", "--start", "2026-01-01")[0] == 0
    code, out, err = run(
        "contract", "add", "Acme", "--plan", "flex", "--start", "2026-06-01", "--end", "2026-12-31"
    )
    assert code == 2
    assert "overlaps" in err and "#1" in err
    assert out == ""
    # The same dates for another product are fine.
    code, _, _ = run(
        "contract",
        "add",
        "Acme",
        "--plan",
        "flex",
        "--start",
        "2026-06-01",
        "--product",
        "securevault",
    )
    assert code == 0
    code, out, _ = run("--json", "quota")
    assert [item["product"] for item in json.loads(out)] == [None, "securevault"]
