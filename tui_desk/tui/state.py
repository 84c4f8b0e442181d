"""What the TUI remembers between runs (who you are, theme, act-then-advance), kept in a
small JSON file beside the policy in the user config dir, private to the user (0600 in a
0700 directory). Never policy, never data."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import platformdirs

from tui_desk.files import write_private
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
    text = json.dumps(values, indent=2, sort_keys=True)
    with contextlib.suppress(OSError):
        write_private(state_path(), text.encode("utf-8"), overwrite=True)
