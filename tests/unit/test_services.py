"""The use cases shared by the CLI and the TUI (SPEC §1, §3.1, §4, §9)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.policies import SERVICE_POLICY
from tui_desk.core.policy_load import parse_policy_text
from tui_desk.services import BadInput, Conflict, HelpDesk, NotFound, QueueFilter
from tui_desk.store.engine import open_store


@pytest.fixture
def hd(db_path: Path, clock) -> Iterator[HelpDesk]:  # noqa: ANN001
    engine = open_store(str(db_path), create=True)
    desk = HelpDesk(engine, parse_policy_text(SERVICE_POLICY, "test.toml"), now=clock)
    desk.add_operator("ana", "lead")
    desk.add_customer("Acme", domains=["acme.io"])
    yield desk
    engine.dispose()


def _count(desk: HelpDesk, table: str) -> int:
    with desk.engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar())


def test_unknown_address_creates_a_contact_attached_by_domain(hd: HelpDesk) -> None:
    detail = hd.create_ticket("Bo@ACME.io", "Printer on fire")
    assert detail.ticket.contact == "Bo@acme.io"
    assert detail.ticket.customer == "Acme"


def test_address_from_an_unknown_domain_has_no_customer(hd: HelpDesk) -> None:
    detail = hd.create_ticket("x@elsewhere.example", "Hello")
    assert detail.ticket.customer is None
    assert detail.ticket.sla_policy == "standard"  # desk.default_sla


def test_adding_a_customer_domain_later_adopts_known_contacts(hd: HelpDesk) -> None:
    first = hd.create_ticket("kim@globex.example", "Hi")
    assert first.ticket.customer is None
    hd.add_customer("Globex", domains=["globex.example"])
    assert hd.create_ticket("kim@globex.example", "Again").ticket.customer == "Globex"


def test_outage_rule_sets_priority_and_tag_case_insensitively(hd: HelpDesk) -> None:
    detail = hd.create_ticket("bo@acme.io", "Total OUTAGE in EU")
    assert detail.ticket.priority == "urgent"
    assert detail.ticket.tags == ("outage",)


def test_rule_matching_is_unicode_aware(hd: HelpDesk) -> None:
    assert hd.create_ticket("bo@acme.io", "本番障害が発生").ticket.priority == "urgent"
    # Full-width letters fold to ASCII under NFKC.
    assert hd.create_ticket("bo@acme.io", "ＯＵＴＡＧＥ now").ticket.priority == "urgent"


def test_explicit_priority_beats_rules(hd: HelpDesk) -> None:
    assert hd.create_ticket("bo@acme.io", "outage", priority="low").ticket.priority == "low"


def test_securevault_ticket_goes_to_the_securevault_contract(hd: HelpDesk) -> None:
    general = hd.add_contract("Acme", "basic", "2026-01-01")
    vault = hd.add_contract("Acme", "premium", "2026-01-01", product="securevault")
    detail = hd.create_ticket("bo@acme.io", "SecureVault rotation failed")
    assert detail.ticket.product == "securevault"
    assert detail.ticket.contract_id == vault.id
    assert detail.ticket.sla_policy == "premium"
    other = hd.create_ticket("bo@acme.io", "Billing question")
    assert other.ticket.contract_id == general.id
    assert other.ticket.plan == "basic"


def test_ticket_after_the_contract_end_falls_back_to_the_default_sla(hd: HelpDesk) -> None:
    hd.add_contract("Acme", "premium", "2026-01-01", end="2026-10-31")
    detail = hd.create_ticket("bo@acme.io", "Hi")
    assert detail.ticket.contract_id is None
    assert detail.ticket.sla_policy == "standard"


def test_overlapping_contracts_for_one_product_are_refused(hd: HelpDesk) -> None:
    hd.add_contract("Acme", "basic", "2026-01-01", end="2026-12-31")
    with pytest.raises(BadInput, match="overlaps"):
        hd.add_contract("Acme", "premium", "2026-06-01")
    # Another product, or after the end, is fine.
    hd.add_contract("Acme", "premium", "2026-06-01", product="securevault")
    hd.add_contract("Acme", "premium", "2027-01-01")


def test_fourth_ticket_of_a_three_per_week_plan_is_over_quota_without_sla(hd: HelpDesk) -> None:
    hd.add_contract("Acme", "premium", "2026-01-01")
    tickets = [hd.create_ticket("bo@acme.io", f"Question {i}") for i in range(4)]
    assert [t.ticket.over_quota for t in tickets] == [False, False, False, True]
    fourth = tickets[3]
    assert fourth.ticket.sla_policy is None
    assert {c.state for c in fourth.sla.clocks.values()} == {"none"}
    assert any(e.kind == "quota" and e.data["over_quota"] for e in fourth.events)


def test_billable_overage_keeps_its_sla(hd: HelpDesk) -> None:
    hd.add_contract("Acme", "flex", "2026-01-01")
    fourth = [hd.create_ticket("bo@acme.io", f"Q{i}") for i in range(4)][3]
    assert fourth.ticket.over_quota and fourth.ticket.billable
    assert fourth.ticket.sla_policy == "premium"
    assert fourth.sla.clocks["first_response"].state != "none"


def test_marking_a_ticket_spam_gives_its_credit_back(hd: HelpDesk) -> None:
    hd.add_contract("Acme", "premium", "2026-01-01")
    first = [hd.create_ticket("bo@acme.io", f"Q{i}") for i in range(3)][0]
    hd.set_fields(first.ticket.id, status="spam")
    assert hd.create_ticket("bo@acme.io", "Q4").ticket.over_quota is False


def test_reply_with_status_records_the_reply_before_the_status(hd: HelpDesk, clock) -> None:  # noqa: ANN001
    ticket = hd.create_ticket("bo@acme.io", "Hi").ticket
    clock.set("2026-11-16T10:00:00+00:00")
    detail = hd.reply(ticket.id, "On it", status="pending", author="ana")
    kinds = [e.kind for e in detail.events]
    assert kinds[-2:] == ["reply", "status"]
    assert detail.ticket.status == "pending"
    assert detail.sla.clocks["first_response"].state == "met"
    assert detail.sla.clocks["resolution"].state == "paused"


def test_customer_message_reopens_a_pending_ticket(hd: HelpDesk) -> None:
    ticket = hd.create_ticket("bo@acme.io", "Hi").ticket
    hd.reply(ticket.id, "Please send logs", status="pending", author="ana")
    detail = hd.customer_message(ticket.id, "Here they are")
    assert detail.ticket.status == "open"
    assert [e.kind for e in detail.events][-2:] == ["customer_message", "status"]


def test_notes_never_meet_the_first_response(hd: HelpDesk) -> None:
    ticket = hd.create_ticket("bo@acme.io", "Hi").ticket
    detail = hd.note(ticket.id, "internal only", author="ana")
    assert detail.sla.clocks["first_response"].state in ("running", "warning", "breached")


def test_a_write_based_on_a_stale_version_is_a_conflict_and_writes_nothing(hd: HelpDesk) -> None:
    ticket = hd.create_ticket("bo@acme.io", "Hi").ticket
    hd.note(ticket.id, "someone else was faster", author="ana")
    events = _count(hd, "event")
    with pytest.raises(Conflict):
        hd.reply(ticket.id, "late", author="ana", expected_version=ticket.version)
    assert _count(hd, "event") == events


def test_bad_input_writes_nothing(hd: HelpDesk) -> None:
    ticket = hd.create_ticket("bo@acme.io", "Hi").ticket
    before = (_count(hd, "event"), _count(hd, "ticket"), _count(hd, "contact"))
    with pytest.raises(BadInput):
        hd.reply(ticket.id, "x", status="nope", author="ana")
    with pytest.raises(BadInput):
        hd.create_ticket("not-an-address", "Hi")
    with pytest.raises(BadInput):
        hd.create_ticket("new@acme.io", "Hi", priority="critical")
    with pytest.raises(BadInput):
        hd.set_fields(ticket.id, assignee="nobody")
    with pytest.raises(BadInput):
        hd.reply(ticket.id, "   ", author="ana")
    assert (_count(hd, "event"), _count(hd, "ticket"), _count(hd, "contact")) == before


def test_unknown_ticket_is_not_found(hd: HelpDesk) -> None:
    with pytest.raises(NotFound):
        hd.ticket(4242)
    with pytest.raises(NotFound):
        hd.reply(4242, "hi", author="ana")


def test_an_event_before_the_ticket_was_created_is_refused(hd: HelpDesk) -> None:
    ticket = hd.create_ticket("bo@acme.io", "Hi").ticket
    with pytest.raises(BadInput, match="before ticket"):
        hd.reply(ticket.id, "time travel", author="ana", at="2020-01-01T00:00:00Z")


def test_naive_at_means_the_desk_time_zone(hd: HelpDesk) -> None:
    detail = hd.create_ticket("bo@acme.io", "Hi", at="2026-11-16T10:00:00")
    assert detail.ticket.created_at.isoformat() == "2026-11-16T09:00:00+00:00"


def test_markup_in_subjects_is_stored_literally(hd: HelpDesk) -> None:
    detail = hd.create_ticket("bo@acme.io", "[URGENT] [b]bold[/b] $(rm -rf /)")
    assert hd.ticket(detail.ticket.id).ticket.subject == "[URGENT] [b]bold[/b] $(rm -rf /)"


def test_tags_are_added_and_removed_with_one_event(hd: HelpDesk) -> None:
    ticket = hd.create_ticket("bo@acme.io", "Hi").ticket
    hd.set_fields(ticket.id, tags=["billing", "vip"])
    detail = hd.set_fields(ticket.id, untags=["vip"], tags=["refund"])
    assert detail.ticket.tags == ("billing", "refund")
    assert detail.events[-1].data == {"added": ["refund"], "removed": ["vip"]}


def test_queue_is_ordered_by_next_deadline_then_priority(hd: HelpDesk) -> None:
    low = hd.create_ticket("bo@acme.io", "Low one", priority="low")
    urgent = hd.create_ticket("bo@acme.io", "Urgent one", priority="urgent")
    normal = hd.create_ticket("bo@acme.io", "Normal one")
    order = [t.id for t in hd.queue()]
    assert order == [urgent.ticket.id, normal.ticket.id, low.ticket.id]


def test_queue_filters_by_tag_customer_assignee_and_words(hd: HelpDesk) -> None:
    a = hd.create_ticket("bo@acme.io", "Server outage")
    hd.create_ticket("x@other.example", "Invoice 100% wrong")
    hd.set_fields(a.ticket.id, assignee="ana")
    assert [t.id for t in hd.queue(QueueFilter(tags=("outage",)))] == [a.ticket.id]
    assert [t.id for t in hd.queue(QueueFilter(customers=("acm",)))] == [a.ticket.id]
    assert [t.id for t in hd.queue(QueueFilter(assignees=("ana",)))] == [a.ticket.id]
    assert len(hd.queue(QueueFilter(assignees=(None,)))) == 1
    assert len(hd.queue(QueueFilter(words=("100%",)))) == 1
    assert hd.queue_count(QueueFilter(words=("_",))) == 0


def test_priority_change_is_an_event_and_changes_targets(hd: HelpDesk, clock) -> None:  # noqa: ANN001
    ticket = hd.create_ticket("bo@acme.io", "Hi").ticket
    before = hd.ticket(ticket.id).sla.clocks["first_response"].target_seconds
    detail = hd.set_fields(ticket.id, priority="urgent", author="ana")
    assert detail.events[-1].kind == "priority"
    assert detail.sla.clocks["first_response"].target_seconds < before


def test_a_changed_policy_recomputes_the_cached_clocks(hd: HelpDesk) -> None:
    ticket = hd.create_ticket("bo@acme.io", "Hi").ticket
    assert hd.ensure_policy_applied() == 1  # first use of this policy with this store
    assert hd.ensure_policy_applied() is None  # nothing changed since
    before = hd.queue()[0].next_deadline
    hd.policy = parse_policy_text(
        SERVICE_POLICY.replace(
            'normal = { first_response = "2h"', 'normal = { first_response = "3h"'
        ),
        "changed.toml",
    )
    assert hd.ensure_policy_applied() == 1
    after = hd.queue()[0].next_deadline
    assert after is not None and before is not None and after > before
    assert hd.ticket(ticket.id).sla.clocks["first_response"].target_seconds == 3 * 3600
