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
        """Something is at the policy path (followed through links). It need not be a
        regular file: reading it says what is wrong, rather than falling back silently."""
        return self.policy.exists()


def default_policy_path() -> Path:
    return Path(platformdirs.user_config_dir(APP)) / "policy.toml"


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir(APP)) / "desk.sqlite3"


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP))


class LocationError(ValueError):
    """An option or environment variable names no usable file: exit 2."""

    exit_code = 2


def _choose(flag: str | None, flag_name: str, env: str) -> tuple[str, str] | None:
    """The value and its source from a flag, then the environment; an empty value is an
    error, never a silent fall back to the default."""
    if flag is not None:
        if not flag.strip():
            raise LocationError(f"{flag_name} is empty; give a path, or leave it out")
        return flag, flag_name
    value = os.environ.get(env)
    if value is not None:
        if not value.strip():
            raise LocationError(f"${env} is set but empty; unset it or give a path")
        return value, f"${env}"
    return None


def locate(policy_flag: str | None, db_flag: str | None) -> Locations:
    """Where the policy and the store are; LocationError for an empty or unusable name."""
    from tui_desk.store.lite import StoreError, sqlite_file

    chosen = _choose(policy_flag, "--policy", "TUI_DESK_POLICY")
    policy, policy_source = (
        (Path(chosen[0]), chosen[1]) if chosen else (default_policy_path(), "default")
    )
    db, db_source = _choose(db_flag, "--db", "TUI_DESK_DB") or (str(default_db_path()), "default")
    try:
        sqlite_file(db)
    except StoreError as exc:
        raise LocationError(f"{db_source}: {exc}") from None
    return Locations(policy.expanduser(), policy_source, db, db_source, log_dir())
