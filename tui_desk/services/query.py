"""The queue's small query language (SPEC §8):

    status:open tag:billing priority:high customer:acme -assignee:me words "two words"

`key:value` terms of one key are alternatives (any of); different keys must all hold; a
leading `-` excludes; bare words must all appear in the subject. `assignee:me` is the
current operator, `assignee:none` the unassigned tickets; `id:12` finds one ticket.
"""

from __future__ import annotations

import difflib
import shlex
from dataclasses import dataclass, field, replace

from tui_desk.core.policy import Policy
from tui_desk.services.base import BadInput
from tui_desk.services.listing import QueueFilter

KEYS = ("status", "tag", "priority", "customer", "assignee", "id")


@dataclass
class _Terms:
    include: dict[str, list[str]] = field(default_factory=dict)
    exclude: dict[str, list[str]] = field(default_factory=dict)
    words: list[str] = field(default_factory=list)


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        raise BadInput('unbalanced quote in the filter; close it like "two words"') from None


def _terms(text: str) -> _Terms:
    terms = _Terms()
    for token in _split(text):
        negated = token.startswith("-") and ":" in token
        body = token[1:] if negated else token
        key, sep, value = body.partition(":")
        if not sep:
            terms.words.append(token)
            continue
        key = key.lower()
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f" — did you mean {close[0]}:?" if close else ""
            raise BadInput(f"unknown filter key {key!r}{hint} (keys: {', '.join(KEYS)})")
        if not value:
            raise BadInput(f"{key}: needs a value, like {key}:{_example(key)}")
        (terms.exclude if negated else terms.include).setdefault(key, []).append(value)
    return terms


def _example(key: str) -> str:
    return {
        "status": "open",
        "tag": "billing",
        "priority": "high",
        "customer": "acme",
        "assignee": "me",
        "id": "12",
    }[key]


def _check(values: list[str], allowed: tuple[str, ...], key: str) -> tuple[str, ...]:
    for value in values:
        if value not in allowed:
            close = difflib.get_close_matches(value, allowed, n=1)
            hint = f" — did you mean {close[0]!r}?" if close else ""
            raise BadInput(f"no {key} {value!r}{hint} (one of: {', '.join(allowed)})")
    return tuple(values)


def _people(values: list[str], me: str | None) -> tuple[str | None, ...]:
    out: list[str | None] = []
    for value in values:
        if value.lower() == "me":
            if not me:
                raise BadInput("assignee:me needs to know who you are: start with --as NAME")
            out.append(me)
        elif value.lower() in ("none", "nobody", "unassigned"):
            out.append(None)
        else:
            out.append(value)
    return tuple(out)


def apply_query(base: QueueFilter, text: str, policy: Policy, me: str | None) -> QueueFilter:
    """The view's filter narrowed by a query; raises BadInput with a readable message."""
    terms = _terms(text)
    inc, exc = terms.include, terms.exclude
    flt = base
    if "status" in inc:
        flt = replace(flt, statuses=_check(inc["status"], policy.statuses.all, "status"))
    if "priority" in inc:
        flt = replace(flt, priorities=_check(inc["priority"], policy.priorities.order, "priority"))
    if "tag" in inc:
        flt = replace(flt, tags=flt.tags + tuple(v.lower() for v in inc["tag"]))
    if "customer" in inc:
        flt = replace(flt, customers=flt.customers + tuple(inc["customer"]))
    if "assignee" in inc:
        flt = replace(flt, assignees=_people(inc["assignee"], me))
    if "id" in inc:
        ids = []
        for value in inc["id"]:
            if not value.lstrip("#").isdigit():
                raise BadInput(f"id:{value} is not a ticket number")
            ids.append(int(value.lstrip("#")))
        flt = replace(flt, ticket_ids=tuple(ids))
    if "status" in exc:
        flt = replace(flt, exclude_statuses=_check(exc["status"], policy.statuses.all, "status"))
    if "priority" in exc:
        excluded = _check(exc["priority"], policy.priorities.order, "priority")
        flt = replace(flt, exclude_priorities=excluded)
    if "tag" in exc:
        flt = replace(flt, exclude_tags=tuple(v.lower() for v in exc["tag"]))
    if "assignee" in exc:
        flt = replace(flt, exclude_assignees=_people(exc["assignee"], me))
    if "customer" in exc:
        flt = replace(flt, exclude_customers=tuple(exc["customer"]))
    if "id" in exc:
        raise BadInput("-id: is not supported; filter by other keys")
    return replace(flt, words=flt.words + tuple(terms.words))
