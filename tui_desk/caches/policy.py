"""A cache of validated policies, so commands and the TUI start without re-validating an
unchanged policy file (validation imports time-zone and holiday data: ~0.15 s).

Keyed by the policy text and the tui-desk version; holds only the effective policy as plain
JSON, from which the model is rebuilt (never a pickle: nothing read back from disk may run
code). The file is this user's own (see `cache_files`) and names the text it was made
from; any problem with it means: validate again.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from tui_desk import __version__
from tui_desk.cache_files import cache_dir, read_private, write_private
from tui_desk.core.policy import Policy, build_policy

_FORMAT = 1


def _text_digest(text: str) -> str:
    return hashlib.sha256(f"{__version__}\0{_validator_stamp()}\0{text}".encode()).hexdigest()


@functools.lru_cache(maxsize=1)
def _validator_stamp() -> str:
    """Names the installed validation rules (every module of the policy schema, its values
    and checks), so that a text accepted by older rules is checked again by newer ones even
    within one version."""
    spec = find_spec("tui_desk.core")
    if spec is None or not spec.submodule_search_locations:
        return ""
    stamps = []
    for folder in spec.submodule_search_locations:
        for module in sorted((*Path(folder).glob("policy*.py"), Path(folder) / "bindings.py")):
            try:
                info = os.stat(module)
            except OSError:
                continue
            stamps.append(f"{module.name}:{info.st_size}:{info.st_mtime_ns}")
    return ";".join(stamps)


def _cache_file(digest: str) -> Path:
    return cache_dir() / f"policy-{digest[:32]}.json"


def parse_policy_cached(text: str, path: str) -> Policy:
    """`parse_policy_text`, skipping validation when this exact text was valid before."""
    digest = _text_digest(text)
    cache = _cache_file(digest)
    cached = _read(cache, digest)
    if cached is not None:
        return cached
    from tui_desk.core.policy_load import parse_policy_text

    policy = parse_policy_text(text, path)  # raises PolicyError: nothing is cached then
    entry = {"format": _FORMAT, "text": digest, "effective": policy.effective}
    try:
        data = json.dumps(entry, ensure_ascii=False, sort_keys=True).encode("utf-8")
    except (TypeError, ValueError):
        return policy  # not plain data: not worth caching
    write_private(cache, data)
    for legacy in cache.parent.glob("policy-*.pickle"):  # older versions' entries: never read
        with contextlib.suppress(OSError):
            legacy.unlink()
    return policy


def _read(cache: Path, digest: str) -> Policy | None:
    data = read_private(cache)
    if data is None:
        return None
    try:
        entry: Any = json.loads(data)
        if (
            not isinstance(entry, dict)
            or entry.get("format") != _FORMAT
            or entry.get("text") != digest
            or not isinstance(entry.get("effective"), dict)
        ):
            return None
        return build_policy(entry["effective"])
    except Exception:  # damaged in any way: validate as usual
        return None


def load_policy_cached(path: Path) -> Policy:
    """`load_policy` with the cache: the file is read as `load_policy` reads it (only a
    regular file, never waiting on a FIFO), so its problems have the same words."""
    from tui_desk.core.policy_load import read_policy_file

    return parse_policy_cached(read_policy_file(path), str(path))
