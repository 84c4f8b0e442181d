"""What the TUI remembers between runs (who you are, theme, act-then-advance), kept in a
small JSON file beside the policy in the user config dir. Never policy, never data."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import platformdirs

from tui_desk.paths import APP


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
    path = state_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(values, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass
