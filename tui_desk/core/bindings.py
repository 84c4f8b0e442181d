"""The ids of the TUI's key bindings: what a policy's [keys] table may remap (SPEC §2, §8).

A plain tuple, so that checking a policy needs no Textual; a test pins it to the ids of the
bindings the TUI declares.
"""

from __future__ import annotations

BINDING_IDS: tuple[str, ...] = (
    "acknowledge",
    "assign",
    "back",
    "bottom",
    "cancel",
    "clear",
    "close_help",
    "csat",
    "down",
    "editor",
    "filter",
    "help",
    "mark",
    "next_ticket",
    "next_view",
    "note",
    "older_events",
    "open",
    "previous_ticket",
    "previous_view",
    "priority",
    "quit",
    "quit_always",
    "reload",
    "reply",
    "screen_escalations",
    "screen_queue",
    "screen_quotas",
    "screen_ticket",
    "send",
    "sort",
    "sort_reverse",
    "status",
    "tags",
    "top",
    "up",
    "whole_messages",
)
