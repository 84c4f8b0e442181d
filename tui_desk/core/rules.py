"""Creation rules (SPEC §2 `[[rules]]`): match a new ticket, collect what they set."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

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


@lru_cache(maxsize=4096)
def _folded_options(options: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(fold(option) for option in options)


@dataclass(frozen=True, slots=True)
class _FoldedFacts:
    """The facts folded once per ticket, not once per rule."""

    subject: str
    body: str
    address: str
    domain: str
    customer: str | None
    channel: str
    tags: tuple[str, ...]

    @classmethod
    def of(cls, facts: NewTicketFacts) -> _FoldedFacts:
        address = fold(facts.from_address)
        return cls(
            subject=fold(facts.subject),
            body=fold(facts.body),
            address=address,
            domain=address.rpartition("@")[2],
            customer=fold(facts.customer) if facts.customer is not None else None,
            channel=fold(facts.channel),
            tags=tuple(fold(tag) for tag in facts.tags),
        )


def _condition_holds(condition: str, options: tuple[str, ...], facts: _FoldedFacts) -> bool:
    wanted = _folded_options(options)
    if condition == "subject_contains":
        return any(needle in facts.subject for needle in wanted)
    if condition == "body_contains":
        return any(needle in facts.body for needle in wanted)
    if condition == "from_domain":
        return facts.domain in wanted
    if condition == "from_address":
        return facts.address in wanted
    if condition == "customer":
        return facts.customer in wanted
    if condition == "channel":
        return facts.channel in wanted
    if condition == "has_tag":
        return any(tag in wanted for tag in facts.tags)
    raise ValueError(f"unknown rule condition {condition!r}")


def rule_matches(rule: Rule, facts: NewTicketFacts | _FoldedFacts) -> bool:
    """All of the rule's conditions hold (each condition: any of its values)."""
    folded = facts if isinstance(facts, _FoldedFacts) else _FoldedFacts.of(facts)
    return all(_condition_holds(c, values, folded) for c, values in rule.when.items())


def apply_rules(rules: tuple[Rule, ...], facts: NewTicketFacts) -> RuleOutcome:
    """Run every rule in order; `stop = true` on a matching rule ends evaluation."""
    outcome = RuleOutcome()
    folded = _FoldedFacts.of(facts)
    for rule in rules:
        if not rule_matches(rule, folded):
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
