"""Where the policy, the store and the log live (SPEC §2, §7): flags, then environment, then
platformdirs' per-user directories."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP = "tui-desk"


@dataclass(frozen=True, slots=True)
class Locations:
    policy: Path
    policy_source: str  # "--policy", "$TUI_DESK_POLICY", "default"
    db: str
    db_source: str
    log_dir: Path

    @property
    def policy_exists(self) -> bool:
        return self.policy.is_file()


def default_policy_path() -> Path:
    return Path(platformdirs.user_config_dir(APP)) / "policy.toml"


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir(APP)) / "desk.sqlite3"


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP))


def locate(policy_flag: str | None, db_flag: str | None) -> Locations:
    if policy_flag:
        policy, policy_source = Path(policy_flag), "--policy"
    elif os.environ.get("TUI_DESK_POLICY"):
        policy, policy_source = Path(os.environ["TUI_DESK_POLICY"]), "$TUI_DESK_POLICY"
    else:
        policy, policy_source = default_policy_path(), "default"
    if db_flag:
        db, db_source = db_flag, "--db"
    elif os.environ.get("TUI_DESK_DB"):
        db, db_source = os.environ["TUI_DESK_DB"], "$TUI_DESK_DB"
    else:
        db, db_source = str(default_db_path()), "default"
    return Locations(policy.expanduser(), policy_source, db, db_source, log_dir())
