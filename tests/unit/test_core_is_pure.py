"""The core is pure domain: no UI, no database, nothing of ours outside `tui_desk.core` (STYLE)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import tui_desk.core
from tests.unit.test_layering import imported_modules, is_within

CORE = Path(tui_desk.core.__file__).parent
FORBIDDEN = (
    "textual",
    "sqlmodel",
    "sqlalchemy",
    "sqlite3",
    "tui_desk.store",
    "tui_desk.tui",
    "tui_desk.cli",
)
CORE_FILES = sorted(CORE.rglob("*.py"))


def test_the_core_has_modules_to_check():
    assert {"calendar.py", "sla.py", "policy.py"} <= {path.name for path in CORE_FILES}


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda path: path.name)
def test_core_module_imports_no_ui_no_database_and_nothing_of_ours_outside_core(path):
    modules = imported_modules(path)
    forbidden = sorted(m for m in modules if any(is_within(m, root) for root in FORBIDDEN))
    assert not forbidden, f"{path.name} imports {forbidden}"
    ours = sorted(
        m for m in modules if is_within(m, "tui_desk") and not is_within(m, "tui_desk.core")
    )
    assert not ours, f"{path.name} imports {ours}: the core may only import tui_desk.core"


def test_importing_the_core_loads_no_ui_or_database_package():
    modules = [f"tui_desk.core.{path.stem}" for path in CORE_FILES if path.stem != "__init__"]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {{'textual', 'sqlmodel', 'sqlalchemy', 'sqlite3'}}"
        " or m.startswith(('tui_desk.store', 'tui_desk.tui', 'tui_desk.cli')))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
