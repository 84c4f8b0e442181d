"""Creation rules (SPEC §2 [[rules]]): conditions, order, overriding, stop."""

from __future__ import annotations

from tui_desk.core.policy import Rule
from tui_desk.core.rules import NewTicketFacts, apply_rules, fold, rule_matches


def facts(subject: str = "Hello", **kw: object) -> NewTicketFacts:
    base = {"body": "", "from_address": "ana@acme.io", "customer": "Acme", "channel": "email"}
    base.update(kw)
    return NewTicketFacts(subject=subject, **base)  # type: ignore[arg-type]


def rule(name: str, when: dict, set_: dict, stop: bool = False) -> Rule:  # noqa: ANN001
    return Rule(name, {k: tuple(v) for k, v in when.items()}, set_, stop)


def test_fold_is_case_insensitive_and_nfkc() -> None:
    assert fold("ＯＵＴＡＧＥ") == fold("outage")
    assert fold("Straße") == fold("STRASSE")


def test_every_given_condition_must_hold() -> None:
    r = rule("r", {"subject_contains": ["vault"], "from_domain": ["acme.io"]}, {"product": "v"})
    assert rule_matches(r, facts("SecureVault down"))
    assert not rule_matches(r, facts("SecureVault down", from_address="x@other.io"))
    assert not rule_matches(r, facts("Billing"))


def test_each_condition_is_any_of_its_values() -> None:
    r = rule("r", {"channel": ["phone", "chat"]}, {"priority": "high"})
    assert rule_matches(r, facts(channel="Chat"))
    assert not rule_matches(r, facts(channel="email"))


def test_body_address_customer_and_tag_conditions() -> None:
    assert rule_matches(rule("b", {"body_contains": ["invoice"]}, {}), facts(body="Our INVOICE"))
    assert rule_matches(rule("a", {"from_address": ["ANA@acme.io"]}, {}), facts())
    assert rule_matches(rule("c", {"customer": ["acme"]}, {}), facts())
    assert not rule_matches(rule("c", {"customer": ["acme"]}, {}), facts(customer=None))
    assert rule_matches(rule("t", {"has_tag": ["vip"]}, {}), facts(tags=("VIP",)))


def test_later_rules_override_earlier_ones_and_tags_accumulate() -> None:
    rules = (
        rule("first", {"subject_contains": ["down"]}, {"priority": "high", "tags": ("outage",)}),
        rule(
            "second",
            {"subject_contains": ["site"]},
            {"priority": "urgent", "tags": ("web", "outage")},
        ),
    )
    outcome = apply_rules(rules, facts("Site down"))
    assert outcome.priority == "urgent"
    assert outcome.tags == ["outage", "web"]
    assert outcome.matched == ["first", "second"]


def test_stop_ends_evaluation() -> None:
    rules = (
        rule("vault", {"subject_contains": ["vault"]}, {"product": "securevault"}, stop=True),
        rule("all", {}, {"assignee": "ben"}),
    )
    outcome = apply_rules(rules, facts("vault key"))
    assert outcome.product == "securevault" and outcome.assignee is None
    assert apply_rules(rules, facts("other")).assignee == "ben"


def test_a_rule_with_no_conditions_matches_everything() -> None:
    assert rule_matches(rule("any", {}, {}), facts())
