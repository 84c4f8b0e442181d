"""`tui-desk demo` (SPEC §7): the same data for the same seed and instant, however the
tickets are batched, escalations recorded exactly as the escalation pass records them,
nothing the use cases would refuse, and a store that shows every plan, clock state and
escalation level."""

from __future__ import annotations

import contextlib
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import tui_desk.demo as demo
import tui_desk.services.seeding as seeding
from tui_desk.core.policy import Policy
from tui_desk.core.sla import CLOCK_STATES, compute_sla
from tui_desk.services import HelpDesk, run_escalation_pass
from tui_desk.services.quota import quota_overview
from tui_desk.store.engine import open_store

NOW = datetime(2026, 11, 18, 10, 30, tzinfo=UTC)  # a Wednesday morning


def generate(path: Path, policy: Policy, **options: Any) -> dict[str, int]:
    engine = open_store(str(path), create=True)
    try:
        return demo.generate_demo(engine, policy, now=NOW, **options)
    finally:
        engine.dispose()


def stored(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows in key order, without `recorded_at` (the wall clock's)."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        tables = [
            name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        out = {}
        for table in tables:
            columns = [
                name
                for _, name, *_ in conn.execute(f'PRAGMA table_info("{table}")')
                if name != "recorded_at"
            ]
            listed = ", ".join(f'"{name}"' for name in columns)
            out[table] = conn.execute(f'SELECT {listed} FROM "{table}" ORDER BY 1, 2').fetchall()
    return out


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several batches in a small demo."""
    monkeypatch.setattr(demo, "BATCH", 40)


def test_the_same_seed_and_instant_make_the_same_store(
    tmp_path: Path, default_policy: Policy
) -> None:
    first = generate(tmp_path / "a.sqlite3", default_policy, tickets=150, seed=5)
    second = generate(tmp_path / "b.sqlite3", default_policy, tickets=150, seed=5)
    generate(tmp_path / "c.sqlite3", default_policy, tickets=150, seed=6)
    assert first == second
    assert stored(tmp_path / "a.sqlite3") == stored(tmp_path / "b.sqlite3")
    assert stored(tmp_path / "a.sqlite3")["event"] != stored(tmp_path / "c.sqlite3")["event"]


@pytest.mark.usefixtures("small_batches")
def test_the_batch_size_does_not_change_the_store(tmp_path: Path, default_policy: Policy) -> None:
    small = generate(tmp_path / "small.sqlite3", default_policy, tickets=300)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo, "BATCH", 2500)
        whole = generate(tmp_path / "whole.sqlite3", default_policy, tickets=300)
    assert small == whole
    assert stored(tmp_path / "small.sqlite3") == stored(tmp_path / "whole.sqlite3")


def test_the_demo_records_the_escalations_the_pass_would_record(
    tmp_path: Path, default_policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Levels planned before the tickets are stored are the escalation pass's own: the
    same events (ids included), marks, checks and ticket columns as a pass over the
    stored tickets."""
    monkeypatch.setattr(demo, "_acknowledge", lambda *args: 0)
    generate(tmp_path / "planned.sqlite3", default_policy, tickets=400, seed=3)

    monkeypatch.setattr(seeding, "plan_unstored_ticket", lambda *args: None)
    path = tmp_path / "passed.sqlite3"
    engine = open_store(str(path), create=True)
    demo.generate_demo(engine, default_policy, tickets=400, seed=3, now=NOW)
    report = run_escalation_pass(HelpDesk(engine, default_policy, now=lambda: NOW), NOW)
    engine.dispose()

    assert report.reached
    planned, passed = stored(tmp_path / "planned.sqlite3"), stored(path)
    for table in ("ticket", "ticket_tag", "event", "escalation_mark", "escalation_check"):
        assert planned[table] == passed[table], table


def test_a_fresh_demo_leaves_nothing_to_the_escalation_pass(
    tmp_path: Path, default_policy: Policy
) -> None:
    engine = open_store(str(tmp_path / "d.sqlite3"), create=True)
    demo.generate_demo(engine, default_policy, tickets=300, now=NOW)
    report = run_escalation_pass(HelpDesk(engine, default_policy, now=lambda: NOW), NOW)
    engine.dispose()
    assert (report.checked, report.reached, report.left, report.events) == (0, (), (), 0)


@pytest.fixture
def default_demo(tmp_path: Path, default_policy: Policy) -> Iterator[HelpDesk]:
    engine = open_store(str(tmp_path / "d.sqlite3"), create=True)
    demo.generate_demo(engine, default_policy, now=NOW)
    yield HelpDesk(engine, default_policy, now=lambda: NOW)
    engine.dispose()


def test_the_default_demo_shows_every_clock_state_and_escalation_level(
    default_demo: HelpDesk, default_policy: Policy
) -> None:
    with contextlib.closing(sqlite3.connect(default_demo.engine.url.database or "")) as conn:
        ids = [ticket_id for (ticket_id,) in conn.execute("SELECT id FROM ticket")]
        reached = {level for (level,) in conn.execute("SELECT level FROM escalation_mark")}
        current = {level for (level,) in conn.execute("SELECT escalation_level FROM ticket")}
        (acks,) = conn.execute(
            "SELECT count(*) FROM event WHERE kind = 'escalation_ack'"
        ).fetchone()
    states = {
        clock.state
        for history in default_demo.histories(ids).values()
        for clock in compute_sla(default_policy, history, NOW).clocks.values()
    }
    assert states == set(CLOCK_STATES)
    levels = set(range(1, len(default_policy.escalation.levels) + 1))
    assert reached == levels
    assert current == {0} | levels
    assert acks > 0


def test_the_default_demo_tells_the_quota_story(
    default_demo: HelpDesk, default_policy: Policy
) -> None:
    quotas = quota_overview(default_demo, NOW)
    assert {quota.plan for quota in quotas} == set(default_policy.plans)
    levels = {quota.customer: quota.level for quota in quotas if quota.product is None}
    assert levels["Globex"] == "high"  # near its limit
    assert levels["Initech"] == "exhausted"  # over it
    assert levels["Wayne Enterprises"] == "expired"
    assert {quota.customer for quota in quotas if quota.state == "expiring"} == {"Stark Industries"}
    assert any(quota.limit is None for quota in quotas)  # unlimited
    with_product = {quota.customer for quota in quotas if quota.product is not None}
    assert with_product == {"Hooli", "Acme Corp"}  # two products: a second contract


def test_the_demo_records_the_policy_its_clocks_were_computed_under(
    tmp_path: Path, default_policy: Policy
) -> None:
    from tui_desk.services import ReadOnlyDesk
    from tui_desk.store.lite import LiteStore

    db = str(tmp_path / "demo.sqlite3")
    engine = open_store(db, create=True)
    demo.generate_demo(engine, default_policy, tickets=60, seed=3, now=NOW)
    store = LiteStore.open(db)
    assert store is not None
    assert ReadOnlyDesk(store, default_policy, now=lambda: NOW).is_current(escalations=False)
    assert HelpDesk(engine, default_policy).ensure_policy_applied() is None  # nothing to redo
    engine.dispose()


def _standing(clocks: dict[str, Any]) -> str:
    """An open ticket's standing at now: breached if any clock is late (a late clock that
    is paused included), at risk if any clock warns, else on track."""
    states = {clock.state for clock in clocks.values()}
    late = any(c.state == "paused" and (c.remaining_seconds or 0) < 0 for c in clocks.values())
    if "breached" in states or late:
        return "breached"
    return "at risk" if "warning" in states else "on track"


@pytest.mark.parametrize("seed", [7, 2, 5])
def test_the_demo_now_looks_like_a_healthy_but_busy_desk(
    tmp_path: Path, default_policy: Policy, seed: int
) -> None:
    engine = open_store(str(tmp_path / "d.sqlite3"), create=True)
    demo.generate_demo(engine, default_policy, seed=seed, now=NOW)
    desk = HelpDesk(engine, default_policy, now=lambda: NOW)
    with contextlib.closing(sqlite3.connect(engine.url.database or "")) as conn:
        open_levels = dict(
            conn.execute(
                "SELECT id, escalation_level FROM ticket"
                " WHERE status_category IN ('active', 'paused')"
            ).fetchall()
        )
        (latest,) = conn.execute(
            "SELECT max(at) FROM event WHERE kind IN ('customer_message', 'reply')"
        ).fetchone()
        (last_hours,) = conn.execute(
            "SELECT count(*) FROM event WHERE kind IN ('customer_message', 'reply') AND at > ?",
            ((NOW - timedelta(hours=3)).strftime("%Y-%m-%d %H:%M:%S"),),
        ).fetchone()
    engine.dispose()
    standings = Counter(
        _standing(compute_sla(default_policy, history, NOW).clocks)
        for history in desk.histories(list(open_levels)).values()
    )
    share = {name: count / len(open_levels) for name, count in standings.items()}
    assert share["on track"] >= 0.75  # most open tickets
    assert 0 < share["at risk"] <= 0.12  # a handful
    assert 0 < share["breached"] <= 0.15  # a few
    levels = set(range(1, len(default_policy.escalation.levels) + 1))
    assert levels <= set(open_levels.values())  # escalations at each level
    assert datetime.fromisoformat(latest).replace(tzinfo=UTC) > NOW - timedelta(minutes=30)
    assert last_hours >= 10  # the desk is busy right now


def test_demo_tickets_come_in_by_every_channel_mostly_email(
    tmp_path: Path, default_policy: Policy
) -> None:
    """A plausible desk hears from customers by email, web form, chat and phone; the mix
    is the seed's, like everything else of the demo."""
    generate(tmp_path / "a.sqlite3", default_policy, tickets=400, seed=4)
    generate(tmp_path / "b.sqlite3", default_policy, tickets=400, seed=4)
    generate(tmp_path / "c.sqlite3", default_policy, tickets=400, seed=9)

    def channels(path: Path) -> list[str]:
        with contextlib.closing(sqlite3.connect(path)) as conn:
            return [
                channel for (channel,) in conn.execute("SELECT channel FROM ticket ORDER BY id")
            ]

    first = channels(tmp_path / "a.sqlite3")
    mix = Counter(first)
    assert set(mix) == {"email", "web", "chat", "phone"}
    assert mix.most_common(1)[0][0] == "email"
    assert mix["email"] / len(first) >= 0.4
    assert min(mix.values()) / len(first) >= 0.04  # each channel a real share
    assert first == channels(tmp_path / "b.sqlite3")
    assert first != channels(tmp_path / "c.sqlite3")


def test_rules_on_the_channel_apply_to_demo_tickets_as_to_new_tickets(tmp_path: Path) -> None:
    from tui_desk.core.policy_load import default_policy_text, parse_policy_text

    text = default_policy_text().replace(
        "[[rules]]",
        '[[rules]]\nname = "calls"\nwhen = { channel = ["phone"] }\nset = { tags = ["call"] }\n\n[[rules]]',
        1,
    )
    generate(tmp_path / "d.sqlite3", parse_policy_text(text, "phone rule"), tickets=200, seed=4)
    with contextlib.closing(sqlite3.connect(tmp_path / "d.sqlite3")) as conn:
        rows = conn.execute(
            "SELECT channel, EXISTS(SELECT 1 FROM ticket_tag"
            " WHERE ticket_id = ticket.id AND tag = 'call') FROM ticket"
        ).fetchall()
    assert {tagged for channel, tagged in rows if channel == "phone"} == {1}
    assert {tagged for channel, tagged in rows if channel != "phone"} == {0}


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"status": "frozen"}, "status 'frozen' is not in the policy"),
        ({"priority": "asap"}, "priority 'asap' is not in the policy"),
        ({"assignee": "zed"}, "assignee 'zed' is no operator"),
        ({"channel": "Carrier Pigeon"}, "channel 'Carrier Pigeon' is not a lower-case word"),
        ({"events": "reply by zed"}, "a reply event by 'zed', who is no operator"),
        ({"events": "in the future"}, r"a note event at 2026-11-18 11:30:00\+00:00 lies outside"),
    ],
)
def test_seeding_refuses_a_ticket_the_use_cases_could_not_have_written(
    tmp_path: Path, default_policy: Policy, monkeypatch: pytest.MonkeyPatch, change, refusal
) -> None:
    """The demo writes through `services.seeding`, which writes nothing the use cases
    would refuse: one bad generated ticket and nothing is written."""
    from tui_desk.services import BadInput

    play = demo.TicketLife.play

    def spoiled(life: demo.TicketLife, story: Any) -> None:
        play(life, story)
        ticket = life.t
        if ticket.id != 50:
            return
        for name, value in change.items():
            if value == "reply by zed":
                ticket.events.append((ticket.created, "reply", "zed", "hi", "{}"))
            elif value == "in the future":
                ticket.events.append((NOW + timedelta(hours=1), "note", "ana", "later", "{}"))
            else:
                setattr(ticket, name, value)

    monkeypatch.setattr(demo.TicketLife, "play", spoiled)
    engine = open_store(str(tmp_path / "d.sqlite3"), create=True)
    with pytest.raises(BadInput, match=f"generated ticket #50: {refusal}"):
        demo.generate_demo(engine, default_policy, tickets=100, now=NOW)
    with contextlib.closing(sqlite3.connect(tmp_path / "d.sqlite3")) as conn:
        assert conn.execute("SELECT count(*) FROM ticket").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM event").fetchone() == (0,)
    engine.dispose()
