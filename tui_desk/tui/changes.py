"""Asking the operator for a ticket change (status, priority, assignee, tags, CSAT): the
same pickers serve the Ticket screen and bulk changes in the Queue. The answer is the
keyword arguments of `HelpDesk.set_fields`, or `{"merge_into": id}` when the status chosen
is `merged` (a merge: services.merge), or None when cancelled."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import App

from tui_desk.services.base import MERGED_STATUS
from tui_desk.tui.screens.pickers import PickerScreen
from tui_desk.tui.screens.prompt import PromptScreen

Changes = dict[str, Any]
UNASSIGNED = "(nobody)"


def parse_tag_edit(text: str) -> Changes:
    """ "billing +vip -spam" -> tags to add (bare or +) and to remove (-)."""
    add, remove = [], []
    for word in text.split():
        if word.startswith("-") and len(word) > 1:
            remove.append(word[1:])
        else:
            add.append(word.lstrip("+"))
    return {"tags": add, "untags": remove}


def ask_change(
    app: App[Any], kind: str, current: Any, done: Callable[[Changes], None], *, what: str = ""
) -> None:
    """Push the right picker for `kind`; call `done(changes)` if the operator chose."""
    desk = app.desk  # type: ignore[attr-defined]
    policy = desk.policy
    suffix = f" of {what}" if what else ""
    if kind == "status":
        options, title = list(policy.statuses.all), f"Set status{suffix}"
    elif kind == "priority":
        options, title = list(policy.priorities.order), f"Set priority{suffix}"
    elif kind == "assignee":
        options = [*app.operator_names, UNASSIGNED]  # type: ignore[attr-defined]
        title = f"Assign{suffix}"
    elif kind == "tags":
        app.push_screen(
            PromptScreen(
                f"Tags{suffix}",
                "words add tags, -word removes one; enter applies, esc cancels",
                placeholder="billing -vip",
            ),
            lambda text: done(parse_tag_edit(text)) if text and text.strip() else None,
        )
        return
    else:
        raise ValueError(kind)

    def chosen(value: str | None) -> None:
        if value is None or value == current:
            return
        if kind == "status" and value == MERGED_STATUS:
            ask_merge_target(app, done, what=what)
        elif kind == "assignee" and value == UNASSIGNED:
            done({"assignee": None, "unassign": True})
        else:
            done({kind: value})

    app.push_screen(PickerScreen(title, options, current), chosen)


def ask_merge_target(app: App[Any], done: Callable[[Changes], None], *, what: str) -> None:
    """Merging needs the ticket to merge into: ask for its number."""

    def answered(text: str | None) -> None:
        number = (text or "").strip().lstrip("#")
        if not number:
            return
        if not number.isdecimal():
            app.notify(f"{number!r} is not a ticket number", severity="error")
            return
        done({"merge_into": int(number)})

    app.push_screen(
        PromptScreen(
            f"Merge {what} into ticket #".replace("  ", " "),
            "the ticket that keeps the conversation; enter merges, esc cancels",
            placeholder="123",
        ),
        answered,
    )


def describe(changes: Changes) -> str:
    if changes.get("merge_into") is not None:
        return f"merged into #{changes['merge_into']}"
    parts = []
    for key in ("status", "priority"):
        if changes.get(key):
            parts.append(f"{key} → {changes[key]}")
    if changes.get("unassign"):
        parts.append("unassigned")
    elif changes.get("assignee"):
        parts.append(f"assigned to {changes['assignee']}")
    if changes.get("tags") or changes.get("untags"):
        parts.append(
            "tags "
            + " ".join(
                [f"+{t}" for t in changes.get("tags", [])]
                + [f"-{t}" for t in changes.get("untags", [])]
            )
        )
    return ", ".join(parts) or "no change"
