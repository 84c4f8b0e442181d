"""The queue's small query language (SPEC §8):

    status:open tag:billing priority:high customer:acme -assignee:me words "two words"

`key:value` terms of one key are alternatives (any of); different keys must all hold; a
leading `-` excludes; bare words must all appear in the subject. `assignee:me` is the
current operator, `assignee:none` the unassigned tickets; `id:12` finds one ticket;
`channel:phone` the tickets that came in by phone.

Given a desk, names are checked against the store: a filter on an operator, customer, tag
or channel that does not exist is a mistake to explain ("no operator named 'bob' — did you
mean 'bo'?"), not an empty queue.
"""

from __future__ import annotations

import difflib
import shlex
from dataclasses import dataclass, field, replace

from tui_desk.core.policy import Policy
from tui_desk.services.base import BadInput, DeskBase
from tui_desk.services.listing import QueueFilter

KEYS = ("status", "tag", "priority", "customer", "assignee", "channel", "id")
_ANYONE = ("me", "none", "nobody", "unassigned")
# What a name of each kind is checked against: (noun, SQL listing every known value).
_NAMED = {
    "assignee": ("operator named", "SELECT name FROM operator ORDER BY name"),
    "customer": ("customer name contains", "SELECT name FROM customer ORDER BY name"),
    "tag": ("ticket has the tag", "SELECT DISTINCT tag FROM ticket_tag ORDER BY tag"),
    "channel": ("ticket came in by", "SELECT DISTINCT channel FROM ticket ORDER BY channel"),
}


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
        "channel": "email",
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
        elif value.lower() in _ANYONE:
            out.append(None)
        else:
            out.append(value)
    return tuple(out)


def _check_names(terms: _Terms, desk: DeskBase) -> None:
    """Every operator, customer, tag and channel the query names exists in the store."""
    wanted = {
        key: [*terms.include.get(key, []), *terms.exclude.get(key, [])]
        for key in _NAMED
        if terms.include.get(key) or terms.exclude.get(key)
    }
    if not wanted:
        return
    with desk.reading() as reader:
        known = {key: [str(row[0]) for row in reader.rows(_NAMED[key][1])] for key in wanted}
    for key, values in wanted.items():
        folded = [name.casefold() for name in known[key]]
        for value in values:
            needle = value.casefold()
            if key == "assignee" and needle in _ANYONE:
                continue
            if key == "customer":  # a part of the name, any case
                found = any(needle in name for name in folded)
            elif key == "assignee":  # operators are named exactly
                found = value in known[key]
            else:
                found = needle in folded
            if not found:
                raise BadInput(_unknown(key, value, known[key]))


def _unknown(key: str, value: str, known: list[str]) -> str:
    noun = _NAMED[key][0]
    lowered = {name.casefold(): name for name in known}
    close = difflib.get_close_matches(value.casefold(), list(lowered), n=1, cutoff=0.5)
    if close:
        return f"no {noun} {value!r} — did you mean {key}:{_quoted(lowered[close[0]])}?"
    if not known:
        return f"no {noun} {value!r}: there are none yet"
    listed = ", ".join(known[:8]) + (", …" if len(known) > 8 else "")
    return f"no {noun} {value!r} (known: {listed})"


def _quoted(name: str) -> str:
    return f'"{name}"' if " " in name else name


def _canonical(values: list[str]) -> tuple[str, ...]:
    return tuple(v.lower() for v in values)


def apply_query(
    base: QueueFilter,
    text: str,
    policy: Policy,
    me: str | None,
    desk: DeskBase | None = None,
) -> QueueFilter:
    """The view's filter narrowed by a query; raises BadInput with a readable message.
    With `desk`, names that exist nowhere in the store are refused too (see module doc)."""
    terms = _terms(text)
    if desk is not None:
        _check_names(terms, desk)
    inc, exc = terms.include, terms.exclude
    flt = base
    if "status" in inc:
        flt = replace(flt, statuses=_check(inc["status"], policy.statuses.all, "status"))
    if "priority" in inc:
        flt = replace(flt, priorities=_check(inc["priority"], policy.priorities.order, "priority"))
    if "tag" in inc:
        flt = replace(flt, tags=flt.tags + _canonical(inc["tag"]))
    if "channel" in inc:
        flt = replace(flt, channels=_canonical(inc["channel"]))
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
        flt = replace(flt, exclude_tags=_canonical(exc["tag"]))
    if "channel" in exc:
        flt = replace(flt, exclude_channels=_canonical(exc["channel"]))
    if "assignee" in exc:
        flt = replace(flt, exclude_assignees=_people(exc["assignee"], me))
    if "customer" in exc:
        flt = replace(flt, exclude_customers=tuple(exc["customer"]))
    if "id" in exc:
        raise BadInput("-id: is not supported; filter by other keys")
    return replace(flt, words=flt.words + tuple(terms.words))
