"""Creation rules (SPEC §2 `[[rules]]`): match a new ticket, collect what they set."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from tui_desk.core.policy import Rule


def fold(text: str) -> str:
    """Case-insensitive, Unicode-aware form for matching (NFKC, then casefold)."""
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass(frozen=True, slots=True)
class NewTicketFacts:
    """What rules can look at when a ticket is created."""

    subject: str
    body: str
    from_address: str
    customer: str | None
    channel: str
    tags: tuple[str, ...] = ()


@dataclass(slots=True)
class RuleOutcome:
    """What the matching rules set, later ones overriding earlier ones."""

    priority: str | None = None
    product: str | None = None
    assignee: str | None = None
    sla: str | None = None
    tags: list[str] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)


def _contains_any(haystack: str, needles: tuple[str, ...]) -> bool:
    folded = fold(haystack)
    return any(fold(needle) in folded for needle in needles)


def _equals_any(value: str | None, options: tuple[str, ...]) -> bool:
    return value is not None and fold(value) in {fold(option) for option in options}


def rule_matches(rule: Rule, facts: NewTicketFacts) -> bool:
    domain = facts.from_address.rpartition("@")[2]
    checks = {
        "subject_contains": lambda values: _contains_any(facts.subject, values),
        "body_contains": lambda values: _contains_any(facts.body, values),
        "from_domain": lambda values: _equals_any(domain, values),
        "from_address": lambda values: _equals_any(facts.from_address, values),
        "customer": lambda values: _equals_any(facts.customer, values),
        "channel": lambda values: _equals_any(facts.channel, values),
        "has_tag": lambda values: any(_equals_any(tag, values) for tag in facts.tags),
    }
    return all(checks[condition](values) for condition, values in rule.when.items())


def apply_rules(rules: tuple[Rule, ...], facts: NewTicketFacts) -> RuleOutcome:
    """Run every rule in order; `stop = true` on a matching rule ends evaluation."""
    outcome = RuleOutcome()
    for rule in rules:
        if not rule_matches(rule, facts):
            continue
        outcome.matched.append(rule.name)
        for key in ("priority", "product", "assignee", "sla"):
            if key in rule.set:
                setattr(outcome, key, rule.set[key])
        for tag in rule.set.get("tags", ()):
            if tag not in outcome.tags:
                outcome.tags.append(tag)
        if rule.stop:
            break
    return outcome
