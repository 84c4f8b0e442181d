"""A cache of validated policies, so commands and the TUI start without re-validating an
unchanged policy file (validation imports time-zone and holiday data: ~0.15 s).

Keyed by the policy text and the tui-desk version; holds only the effective policy (plain
data), from which the model is rebuilt. Any problem with the cache means: validate again.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

import platformdirs

from tui_desk import __version__
from tui_desk.core.policy import Policy, build_policy
from tui_desk.paths import APP


def _cache_file(text: str) -> Path:
    digest = hashlib.sha256(f"{__version__}\0{text}".encode()).hexdigest()[:32]
    return Path(platformdirs.user_cache_dir(APP)) / f"policy-{digest}.pickle"


def parse_policy_cached(text: str, path: str) -> Policy:
    """`parse_policy_text`, skipping validation when this exact text was valid before."""
    cache = _cache_file(text)
    try:
        with open(cache, "rb") as handle:
            return build_policy(pickle.load(handle))
    except Exception:  # missing, stale or unreadable: validate as usual
        pass
    from tui_desk.core.policy_load import parse_policy_text

    policy = parse_policy_text(text, path)  # raises PolicyError: nothing is cached then
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as handle:
            pickle.dump(policy.effective, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache)
    except OSError:
        pass
    return policy


def load_policy_cached(path: Path) -> Policy:
    """`load_policy` with the cache; unreadable files still get policy_load's messages."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        from tui_desk.core.policy_load import load_policy

        return load_policy(path)
    return parse_policy_cached(text, str(path))
