"""The queue's query language (SPEC §8) against a real store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.policies import SERVICE_POLICY
from tui_desk.core.policy_load import parse_policy_text
from tui_desk.services import BadInput, HelpDesk, QueueFilter
from tui_desk.services.query import apply_query
from tui_desk.store.engine import open_store


@pytest.fixture
def hd(db_path: Path, clock) -> Iterator[HelpDesk]:  # noqa: ANN001
    engine = open_store(str(db_path), create=True)
    desk = HelpDesk(engine, parse_policy_text(SERVICE_POLICY, "test.toml"), now=clock)
    desk.add_operator("ana")
    desk.add_operator("ben")
    desk.add_customer("Acme", domains=["acme.io"])
    desk.add_customer("Globex", domains=["globex.example"])
    a = desk.create_ticket("bo@acme.io", "Invoice is wrong").ticket.id
    b = desk.create_ticket("kim@globex.example", "Site outage in EU").ticket.id
    c = desk.create_ticket("al@acme.io", "Password reset loop", priority="high").ticket.id
    desk.set_fields(a, tags=["billing"], assignee="ana")
    desk.set_fields(b, assignee="ben")
    desk.set_fields(c, status="pending")
    yield desk
    engine.dispose()


def _subjects(desk: HelpDesk, text: str, me: str | None = "ana") -> list[str]:
    flt = apply_query(QueueFilter(), text, desk.policy, me)
    return sorted(t.subject for t in desk.queue(flt))


def test_tag_and_customer_terms(hd: HelpDesk) -> None:
    assert _subjects(hd, "tag:billing") == ["Invoice is wrong"]
    assert _subjects(hd, "customer:acme") == ["Invoice is wrong", "Password reset loop"]
    assert _subjects(hd, "customer:glob tag:outage") == ["Site outage in EU"]


def test_terms_of_one_key_are_alternatives(hd: HelpDesk) -> None:
    assert _subjects(hd, "status:pending status:new") == sorted(
        ["Invoice is wrong", "Site outage in EU", "Password reset loop"]
    )
    assert _subjects(hd, "priority:high priority:urgent") == [
        "Password reset loop",
        "Site outage in EU",
    ]


def test_negated_assignee_me_and_none(hd: HelpDesk) -> None:
    assert _subjects(hd, "-assignee:me") == ["Password reset loop", "Site outage in EU"]
    assert _subjects(hd, "assignee:none") == ["Password reset loop"]
    assert _subjects(hd, "assignee:me") == ["Invoice is wrong"]


def test_words_must_all_appear_and_quotes_group(hd: HelpDesk) -> None:
    assert _subjects(hd, "invoice WRONG") == ["Invoice is wrong"]
    assert _subjects(hd, '"reset loop"') == ["Password reset loop"]
    assert _subjects(hd, "invoice outage") == []


def test_negated_tag_status_and_customer(hd: HelpDesk) -> None:
    assert _subjects(hd, "-tag:billing -status:pending") == ["Site outage in EU"]
    assert _subjects(hd, "-customer:acme") == ["Site outage in EU"]


def test_id_finds_one_ticket(hd: HelpDesk) -> None:
    assert _subjects(hd, "id:#2") == ["Site outage in EU"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("stauts:open", "did you mean status:?"),
        ("status:opne", "did you mean 'open'?"),
        ("priority:critical", "one of: urgent, high, normal, low"),
        ("tag:", "needs a value"),
        ('"unclosed', "unbalanced quote"),
        ("id:abc", "not a ticket number"),
    ],
)
def test_a_bad_query_says_what_is_wrong(hd: HelpDesk, text: str, message: str) -> None:
    with pytest.raises(BadInput, match=message.replace("?", r"\?")):
        apply_query(QueueFilter(), text, hd.policy, "ana")


def test_assignee_me_without_an_identity_is_explained(hd: HelpDesk) -> None:
    with pytest.raises(BadInput, match="--as"):
        apply_query(QueueFilter(), "assignee:me", hd.policy, None)
