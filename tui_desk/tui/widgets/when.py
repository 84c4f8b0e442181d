"""Instants in table cells: as short as the distance from now allows, never cut."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

WEEK = timedelta(days=6)


def short_instant(value: datetime | None, now: datetime, zone: tzinfo | None = None) -> str:
    """`14:05` today, `Thu 14:05` within the week around now, else the day, `03 Dec`; in
    `zone` (default: the operator's local zone)."""
    if value is None:
        return "—"
    local, here = value.astimezone(zone), now.astimezone(zone)
    if local.date() == here.date():
        return local.strftime("%H:%M")
    if abs(local - here) < WEEK:
        return local.strftime("%a %H:%M")
    return local.strftime("%d %b")
