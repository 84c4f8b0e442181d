"""Runs escalation notifiers in the background, so that a slow notifier never holds a
command or the TUI (SPEC §5; docs/escalation.md, "Notifications").

`start_notifiers` hands the notifications of one pass to a small runner process
(`python -m tui_desk.notifier`) in a session of its own, with no inherited file descriptors
and standard input from /dev/null. The runner starts every notifier, tells the caller at
once which could not start (not found, not executable: the caller records those as today),
lets the caller go, and then waits for them. A notifier that exits non-zero or outlives
`timeout` seconds (it is then killed) is written to the log file and recorded as a
`notification: failed` event on each ticket it was about.

This module imports nothing heavy: the runner starts in a few tens of milliseconds and loads
the store only when it has a failure to record.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any


@dataclass(frozen=True, slots=True)
class NotifierJob:
    """One notification: the argv to run and the level events it is about (each a dict
    with `ticket_id`, `level`, `name`, `clock`), for the failure events."""

    argv: tuple[str, ...]
    about: tuple[dict[str, Any], ...]


def start_notifiers(
    jobs: Sequence[NotifierJob], *, db_url: str, at: datetime, log_file: Path, timeout: float
) -> list[str | None]:
    """Start every job in the background; returns, per job, None when it started or what
    kept it from starting. Returns as soon as they are started, never waiting for them."""
    payload = {
        "db": db_url,
        "at": at.astimezone(UTC).isoformat(),
        "log": str(log_file),
        "timeout": timeout,
        "jobs": [{"argv": list(job.argv), "about": list(job.about)} for job in jobs],
    }
    runner = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "tui_desk.notifier"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        close_fds=True,
        start_new_session=True,
    )
    assert runner.stdin is not None and runner.stdout is not None
    try:
        runner.stdin.write(json.dumps(payload).encode("utf-8"))
        runner.stdin.close()
        answer = runner.stdout.readline()
    except OSError:
        answer = b""
    finally:
        runner.stdout.close()
    if _CAN_FORK:
        runner.wait()  # the runner forked and its first process exited at once
    try:
        started = json.loads(answer)
    except ValueError:
        started = None
    if not isinstance(started, list) or len(started) != len(jobs):
        return ["the notifier runner did not start"] * len(jobs)
    return [None if error is None else str(error) for error in started]


_CAN_FORK = hasattr(os, "fork")


# ----------------------------------------------------------------------------------------
# The runner process


def _start(argv: list[str]) -> tuple[subprocess.Popen[bytes] | None, IO[bytes] | None, str | None]:
    """Start one notifier without a shell; its stderr goes to a temporary file."""
    said = tempfile.TemporaryFile()  # noqa: SIM115 - closed once the notifier ended
    try:
        process = subprocess.Popen(  # noqa: S603 - argv from the policy, never a shell
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=said,
            close_fds=True,
            shell=False,
        )
    except FileNotFoundError:
        said.close()
        return None, None, f"{argv[0]!r} not found"
    except OSError as exc:
        said.close()
        return None, None, f"{argv[0]!r} could not run: {exc.strerror or exc}"
    return process, said, None


def _outcome(process: subprocess.Popen[bytes], said: IO[bytes], deadline: float) -> str | None:
    """None when the notifier succeeded, else what went wrong."""
    name = repr(process.args[0]) if isinstance(process.args, list) else "the notifier"
    try:
        code = process.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return f"{name} did not finish in time and was stopped"
    if code == 0:
        return None
    said.seek(0)
    lines = said.read().decode("utf-8", "replace").strip().splitlines()
    last = "".join(c if c.isprintable() else "\ufffd" for c in lines[-1][:200]) if lines else ""
    return f"{name} exited with {code}" + (f": {last}" if last else "")


def _log(path: Path, lines: list[str]) -> None:
    try:
        from tui_desk.files import open_private_append

        handle = open_private_append(path)  # 0600 in 0700, never through a link
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
        with os.fdopen(handle, "a", encoding="utf-8") as out:
            for line in lines:
                out.write(f"{stamp} WARNING tui_desk.notifier: {line}\n")
    except OSError:
        pass


def _record(db_url: str, at: str, about: list[dict[str, Any]]) -> None:
    import sqlalchemy as sa

    from tui_desk.services.escalation import record_notification_failures

    url = sa.make_url(db_url)
    sqlite = url.get_backend_name() == "sqlite"
    engine = sa.create_engine(url, connect_args={"timeout": 30} if sqlite else {})
    try:
        record_notification_failures(engine, about, datetime.fromisoformat(at))
    finally:
        engine.dispose()


def run(payload: dict[str, Any], answer: IO[str]) -> None:
    """Start the jobs, answer which could not start, close `answer`, then wait and report."""
    deadline = time.monotonic() + float(payload["timeout"])
    running = []
    errors: list[str | None] = []
    for job in payload["jobs"]:
        process, said, error = _start(job["argv"])
        errors.append(error)
        if process is not None and said is not None:
            running.append((job, process, said))
    answer.write(json.dumps(errors) + "\n")
    answer.close()
    failed: list[dict[str, Any]] = []
    lines = []
    for job, process, said in running:
        problem = _outcome(process, said, deadline)
        said.close()
        if problem is not None:
            tickets = ", ".join(sorted({f"#{a['ticket_id']}" for a in job["about"]}))
            lines.append(f"notify_command failed for {tickets}: {problem}")
            failed += job["about"]
    if lines:
        _log(Path(payload["log"]), lines)
    if failed:
        try:
            _record(payload["db"], payload["at"], failed)
        except Exception as exc:  # the log line above still tells
            _log(Path(payload["log"]), [f"recording the failed notifications failed: {exc}"])


def main() -> None:
    payload = json.loads(sys.stdin.buffer.read())
    if _CAN_FORK and os.fork() > 0:
        os._exit(0)  # the caller waits for this first process only: it is free at once
    answer = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    run(payload, answer)


if __name__ == "__main__":
    main()
