"""Use cases shared by the CLI and the TUI. `desk` holds tickets, customers and contracts;
sibling modules add quotas, escalations and reports on the same `HelpDesk`.

The names below are imported on first use, not with the package: `base`, `listing` and
`quota` need no database toolkit, so the quick read-only commands never pay for importing
SQLAlchemy. bench/startup_bench.py: `tui-desk quota` on a 2,000-ticket demo store takes
135 ms with this, 615 ms with plain imports here (measured 2026-12-02).

The `TYPE_CHECKING` block is the one list of exports: type checkers read it as imports,
and `__getattr__` reads it from this file to know which module defines each name.
"""

from __future__ import annotations

import ast
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui_desk.services.base import (  # noqa: F401 (exported lazily)
        BadInput,
        Conflict,
        DeskBase,
        NotFound,
        ReadOnlyDesk,
        ServiceError,
        parse_day,
        parse_instant,
    )
    from tui_desk.services.desk import (  # noqa: F401 (exported lazily)
        HelpDesk,
        TicketDetail,
        sla_cache_values,
    )
    from tui_desk.services.escalation import (  # noqa: F401 (exported lazily)
        UPCOMING_WINDOWS,
        Acknowledgement,
        EscalatedTicket,
        EscalationOverview,
        PassReport,
        ReachedLevel,
        UpcomingEscalation,
        acknowledge,
        escalation_overview,
        run_escalation_pass,
    )
    from tui_desk.services.listing import (  # noqa: F401 (exported lazily)
        QUEUE_ORDERS,
        EventView,
        QueueFilter,
        TicketSummary,
        history_from_events,
    )
    from tui_desk.services.quota import (  # noqa: F401 (exported lazily)
        ContractQuota,
        quota_line,
        quota_overview,
    )


@cache
def exports() -> dict[str, str]:
    """Exported name -> the module that defines it, as the `TYPE_CHECKING` block says."""
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"), __file__)
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
    )
    return {
        alias.asname or alias.name: statement.module or ""
        for statement in block.body
        if isinstance(statement, ast.ImportFrom)
        for alias in statement.names
    }


def __getattr__(name: str) -> Any:
    if name == "__all__":
        return sorted(exports())
    home = exports().get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *exports()})
