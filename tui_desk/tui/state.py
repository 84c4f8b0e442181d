"""What the TUI remembers between runs (theme, act-then-advance, and who you are on each
store), kept in a small JSON file beside the policy in the user config dir, private to the
user (0600 in a 0700 directory). Never policy, never data.

Who you are belongs to a store: the operator picked on one store is remembered under that
store's key (its resolved file, or its URL) and never offered to another."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import platformdirs

from tui_desk.files import write_private
from tui_desk.paths import APP
from tui_desk.store.lite import sqlite_file

OPERATORS = "operators"  # {store key: operator name}


def state_path() -> Path:
    return Path(platformdirs.user_config_dir(APP)) / "tui-state.json"


def load() -> dict[str, Any]:
    try:
        value = json.loads(state_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def save(values: dict[str, Any]) -> None:
    """Write atomically; losing a preference is never worth a crash."""
    text = json.dumps(values, indent=2, sort_keys=True)
    with contextlib.suppress(OSError):
        write_private(state_path(), text.encode("utf-8"), overwrite=True)


def store_key(db: str) -> str:
    """The key a store's remembered operator is kept under: its file, resolved, or its URL."""
    path = sqlite_file(db)
    return str(path) if path is not None else db


def operator_for(values: dict[str, Any], store: str | None) -> str | None:
    remembered = values.get(OPERATORS)
    if store is None or not isinstance(remembered, dict):
        return None
    name = remembered.get(store)
    return name if isinstance(name, str) else None


def with_operator(values: dict[str, Any], store: str, name: str) -> dict[str, Any]:
    """`values` remembering `name` on `store`, forgetting stores whose file is gone (the
    demo's temporary stores, say)."""
    remembered = values.get(OPERATORS)
    kept = {
        key: value
        for key, value in (remembered.items() if isinstance(remembered, dict) else ())
        if "://" in key or Path(key).exists()
    }
    kept[store] = name
    return {**{k: v for k, v in values.items() if k != "operator"}, OPERATORS: kept}
