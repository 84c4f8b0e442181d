"""Recomputing the cached SLA figures of many tickets from their events (SPEC §3.6).

Events are read as plain driver rows and reduced to what the clocks read (`ClockLog`), and
only the clocks that run are evaluated (`running_deadlines`). On SQLite, big batches are
shared with worker processes that read and compute; the caller's connection alone writes.
This module imports neither SQLAlchemy nor the store models, so workers start quickly.
"""

from __future__ import annotations

import gc
import json
import os
import pickle
import queue
import sqlite3
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager, suppress
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from tui_desk.core.calendar import from_epoch_us, to_epoch_us
from tui_desk.core.events import ClockLog, ClockStep
from tui_desk.core.policy import Policy
from tui_desk.core.sla import CLOCK_EVENT_KINDS, CLOCK_PAYLOAD_KINDS, running_deadlines
from tui_desk.store.queries import event_log_sql, marks

# Tickets per query and per unit of work handed to a worker process.
BATCH = 2000
# Below this many tickets worker processes cost more to start (a fresh interpreter each,
# importing the core) than they save.
PARALLEL_MIN_TICKETS = 20_000
# A batch takes well under a second; a worker silent for this long is ended.
WORKER_PATIENCE_SECONDS = 60

# A cached-figures row: due_first_response, due_next_response, due_resolution,
# next_deadline, next_warning, as the store's naive-UTC text (None: no running clock).
CacheRow = tuple[str | None, str | None, str | None, str | None, str | None]

_UPDATE = (
    "UPDATE ticket SET due_first_response = ?, due_next_response = ?, due_resolution = ?, "
    "next_deadline = ?, next_warning = ? WHERE id = ?"
)
_CACHE_QUERY = (
    "SELECT id, due_first_response, due_next_response, due_resolution, next_deadline, "
    "next_warning FROM ticket WHERE id IN ({})"
)
_NO_PAYLOAD: Mapping[str, Any] = MappingProxyType({})
_EPOCH = datetime(1970, 1, 1)
_ONE_US = timedelta(microseconds=1)


# --------------------------------------------------------------------------------------------
# Reading


def clock_logs(rows: Iterable[Sequence[Any]]) -> dict[int, ClockLog]:
    """One `ClockLog` per ticket from event rows (store.queries.EVENT_COLUMNS) ordered by
    ticket, at, id; `at` is the store's naive-UTC text or an aware datetime, `data` JSON.

    The fast twin of services.listing.events_of + `history_from_events` + core.sla.clock_log
    (tests/unit/test_recompute.py pins them together), for bench/recompute_bench.py's
    "100k open tickets < 5 s". What `history_from_events` gives the clocks, without
    building an object per event:
    events of kinds the clocks ignore are dropped and only the payloads they read parsed
    (identical texts once: status changes repeat a handful of payloads).
    """
    logs: dict[int, ClockLog] = {}
    loads = json.loads
    parse = datetime.fromisoformat
    epoch, one_us = _EPOCH, _ONE_US
    kinds, read_payload, no_payload = CLOCK_EVENT_KINDS, CLOCK_PAYLOAD_KINDS, _NO_PAYLOAD
    payloads: dict[str, Mapping[str, Any]] = {}
    current: int | None = None
    opening: dict[str, Any] = {}
    created_us = 0
    steps: list[ClockStep] = []
    last_at: Any = None  # a reply and the status change it makes share their instant
    at_us = 0
    for ticket_id, event_id, at, kind, _author, _body, data in rows:
        if ticket_id == current and kind not in kinds:
            continue
        if at == last_at:
            pass
        elif type(at) is str:
            # The stored text is naive UTC; an offset is ignored, as when the store reads
            # it back as an aware UTC datetime.
            moment = parse(at)
            if moment.tzinfo is not None:
                moment = moment.replace(tzinfo=None)
            at_us, last_at = (moment - epoch) // one_us, at
        else:
            at_us, last_at = to_epoch_us(at), at
        if ticket_id != current:
            if current is not None:
                logs[current] = _log(opening, created_us, steps)
            current, created_us, steps = ticket_id, at_us, []
            # The opening event carries what the ticket was created with.
            opening = loads(data)
            if kind in kinds:
                steps.append((at_us, event_id, kind, opening))
        elif kind in read_payload:
            payload = payloads.get(data)
            if payload is None:
                if len(payloads) > 10_000:
                    payloads.clear()
                payload = payloads[data] = loads(data)
            steps.append((at_us, event_id, kind, payload))
        else:
            steps.append((at_us, event_id, kind, no_payload))
    if current is not None:
        logs[current] = _log(opening, created_us, steps)
    return logs


def _log(opening: dict[str, Any], created_us: int, steps: list[ClockStep]) -> ClockLog:
    return ClockLog(created_us, opening["priority"], opening.get("sla"), opening["status"], steps)


def read_clock_logs(conn: sqlite3.Connection, ticket_ids: Sequence[int]) -> dict[int, ClockLog]:
    """The clock logs of these tickets (at most a few thousand: one query parameter each)."""
    if not ticket_ids:
        return {}
    # The plain driver cursor, streamed: the rows never become a list (recompute_bench.py,
    # "100k open tickets" under its 5 s budget).
    cursor = conn.execute(event_log_sql(len(ticket_ids), bodies=False), ticket_ids)
    try:
        return clock_logs(cursor)
    finally:
        cursor.close()


# --------------------------------------------------------------------------------------------
# Computing


def stored_instant(epoch_us: int) -> str:
    """An instant as the store writes it: naive UTC text, what `UtcDateTime` binds on SQLite."""
    moment = from_epoch_us(epoch_us)
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}.{moment.microsecond:06d}"
    )


_NOTHING_RUNNING: CacheRow = (None, None, None, None, None)


def compute_cache_rows(
    policy: Policy, logs: Mapping[int, ClockLog], now_us: int
) -> list[tuple[int, CacheRow]]:
    """(ticket id, cached figures) of each ticket at `now_us`."""
    # Many tickets share due instants (the next morning's 09:00...): format each once.
    texts: dict[int, str] = {}

    def text(epoch_us: int | None) -> str | None:
        if epoch_us is None:
            return None
        found = texts.get(epoch_us)
        if found is None:
            found = texts[epoch_us] = stored_instant(epoch_us)
        return found

    out: list[tuple[int, CacheRow]] = []
    for ticket_id, log in logs.items():
        deadlines = running_deadlines(policy, log, now_us)
        if deadlines.next_deadline is None:
            out.append((ticket_id, _NOTHING_RUNNING))
        else:
            first, following, resolution, deadline, warning = map(text, deadlines)
            out.append((ticket_id, (first, following, resolution, deadline, warning)))
    return out


def _compute_batch(
    conn: sqlite3.Connection, policy: Policy, ticket_ids: Sequence[int], now_us: int
) -> list[tuple[int, CacheRow]]:
    with cycle_collection_paused():
        return compute_cache_rows(policy, read_clock_logs(conn, ticket_ids), now_us)


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector during bulk work (recomputing, generating rows).

    Such work makes hundreds of thousands of small tuples and dicts, none in a reference
    cycle: the collector would rescan them over and over (a fifth to a third of the time)
    to free nothing. They are freed by reference counting; the collector's state before
    is restored after.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# --------------------------------------------------------------------------------------------
# Writing, in the caller's transaction


def recompute_sqlite(
    conn: sqlite3.Connection,
    policy: Policy,
    ticket_ids: Sequence[int],
    now: datetime,
    *,
    parallel: bool = False,
) -> int:
    """Recompute and store the cached figures of these tickets through `conn`, a driver
    connection inside a write transaction; returns how many tickets have events.

    With `parallel`, the caller vouches that the events to read are committed (workers
    read through their own connections, outside this transaction); see `_batches`.
    """
    now_us = to_epoch_us(now)
    batches = [ticket_ids[i : i + BATCH] for i in range(0, len(ticket_ids), BATCH)]
    count = 0
    with closing(_batches(conn, policy, batches, now_us, parallel)) as computed:
        for ids, rows in computed:
            count += len(rows)
            _write_changed(conn, ids, rows)
    return count


def _write_changed(
    conn: sqlite3.Connection, ticket_ids: Sequence[int], rows: list[tuple[int, CacheRow]]
) -> None:
    """UPDATE the tickets whose cached figures differ from the stored ones.

    After a policy change most figures stay what they were (solved tickets have none), and
    an unchanged row costs a read instead of a write.
    """
    placeholders = marks(len(ticket_ids))
    stored = {
        row[0]: row[1:] for row in conn.execute(_CACHE_QUERY.format(placeholders), ticket_ids)
    }
    changed = [
        (*values, ticket_id) for ticket_id, values in rows if stored.get(ticket_id) != values
    ]
    if changed:
        conn.executemany(_UPDATE, changed)


def _batches(
    conn: sqlite3.Connection,
    policy: Policy,
    batches: list[Sequence[int]],
    now_us: int,
    parallel: bool,
) -> Generator[tuple[Sequence[int], list[tuple[int, CacheRow]]], None, None]:
    """(ticket ids, figures) per batch, in any order, computed here or, for big jobs, partly
    by worker processes.

    Workers read through their own connections. That sees what this transaction sees only
    because the caller's transaction holds the write lock (no one else can commit events
    meanwhile) and has not changed events itself, and only in WAL mode, where readers in
    other processes neither block nor are blocked by this writer. The workers only compute:
    the writes stay here, in the one transaction, so a recompute still commits or rolls back
    whole. Workers are fresh interpreters started by `subprocess`: not forked copies of this
    process (the TUI recomputes from a thread, and a fork copies the locks other threads
    hold), nor `multiprocessing` spawns (they re-import the caller's main script, which may
    not guard what it does at import).
    """
    path = _database_path(conn) if parallel else None
    count = _worker_count() if path else 0
    if path is None or count < 1 or sum(map(len, batches)) < PARALLEL_MIN_TICKETS:
        for ids in batches:
            yield ids, _compute_batch(conn, policy, ids, now_us)
        return
    # Workers take batches from the front, this process from the back; a batch a worker
    # could not do (it died, or the batch raised) is done here, raising here if it must.
    pending = deque(range(len(batches)))
    results: queue.SimpleQueue[tuple[int, list[tuple[int, CacheRow]] | None]] = queue.SimpleQueue()
    workers: list[_Worker] = []
    feeders: list[threading.Thread] = []
    finished = False
    try:
        for _ in range(count):
            worker = _Worker.start(path, policy, now_us)
            if worker is None:
                break
            workers.append(worker)
            feeder = threading.Thread(
                target=worker.feed, args=(batches, pending, results), daemon=True
            )
            feeder.start()
            feeders.append(feeder)
        for _ in batches:
            try:
                index, rows = results.get_nowait()
            except queue.Empty:
                try:
                    index, rows = pending.pop(), None
                except IndexError:  # every batch left is with a worker
                    index, rows = _next_result(results, workers)
            if rows is None:
                rows = _compute_batch(conn, policy, batches[index], now_us)
            yield batches[index], rows
        finished = True
    finally:
        pending.clear()
        for worker in workers:
            worker.stop(wait=finished)
        for feeder in feeders:
            feeder.join()
        for worker in workers:
            worker.close()


def _next_result(
    results: queue.SimpleQueue[tuple[int, list[tuple[int, CacheRow]] | None]],
    workers: list[_Worker],
) -> tuple[int, list[tuple[int, CacheRow]] | None]:
    """The next batch a worker returns; if none answers for a long while, the workers are
    ended, which hands their batches back undone."""
    try:
        return results.get(timeout=WORKER_PATIENCE_SECONDS)
    except queue.Empty:
        for worker in workers:
            worker.stop(wait=False)
        return results.get()


def _database_path(conn: sqlite3.Connection) -> str | None:
    """The main database file if other processes can read it alongside this writer."""
    files = {name: file for _seq, name, file in conn.execute("PRAGMA database_list")}
    (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
    path = files.get("main")
    return path if path and str(mode).lower() == "wal" else None


def _worker_count() -> int:
    """Worker processes to start: one per CPU this process may use, besides itself."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        cpus = os.cpu_count() or 1
    return min(cpus - 1, 7) if sys.executable else 0


# --------------------------------------------------------------------------------------------
# Worker processes


class _Worker:
    """A worker process that computes batches sent over its stdin (see `serve_worker`)."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process

    @classmethod
    def start(cls, path: str, policy: Policy, now_us: int) -> _Worker | None:
        # Isolated (-I), with this process's import path: the worker imports the same code.
        code = (
            f"import sys; sys.path[:] = {sys.path!r}; "
            "from tui_desk.services.recompute import serve_worker; serve_worker()"
        )
        try:
            process = subprocess.Popen(
                [sys.executable, "-I", "-c", code],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,  # failures surface here, when the batch is redone
            )
        except OSError:
            return None
        worker = cls(process)
        if not worker._send((path, policy, now_us)):
            worker.stop(wait=False)
            return None
        return worker

    def feed(
        self,
        batches: list[Sequence[int]],
        pending: deque[int],
        results: queue.SimpleQueue[tuple[int, list[tuple[int, CacheRow]] | None]],
    ) -> None:
        """Run in a thread: take batches from the front of `pending` until none are left.

        One batch waits in the worker's pipe besides the one it computes, so that it never
        waits for this thread (which waits for the interpreter lock the caller keeps busy).
        If the worker fails, it is ended and the batches it had are handed back undone.
        """
        sent: deque[int] = deque()
        try:
            while True:
                healthy = self._top_up(batches, pending, sent)
                if not sent:
                    return
                rows = self._receive() if healthy else None
                if rows is None:
                    break
                results.put((sent.popleft(), rows))
        except Exception:  # whatever went wrong, the caller does the batches
            pass
        self.process.kill()  # its answers are not wanted any more
        for index in sent:
            results.put((index, None))

    def _top_up(self, batches: list[Sequence[int]], pending: deque[int], sent: deque[int]) -> bool:
        """Send batches until two are with the worker or none are left; False if it is gone."""
        while len(sent) < 2:
            try:
                index = pending.popleft()
            except IndexError:
                return True
            sent.append(index)
            if not self._send(list(batches[index])):
                return False
        return True

    def _receive(self) -> list[tuple[int, CacheRow]] | None:
        stdout = self.process.stdout
        assert stdout is not None
        try:
            reply = pickle.load(stdout)
        except (OSError, EOFError, pickle.UnpicklingError):
            return None
        return reply if isinstance(reply, list) else None

    def _compute(self, ticket_ids: Sequence[int]) -> list[tuple[int, CacheRow]] | None:
        """One batch, start to end (a worker's figures, None if it could not)."""
        return self._receive() if self._send(list(ticket_ids)) else None

    def _send(self, message: object) -> bool:
        stdin = self.process.stdin
        assert stdin is not None
        try:
            pickle.dump(message, stdin, pickle.HIGHEST_PROTOCOL)
            stdin.flush()
        except Exception:  # a closed pipe, or a policy that does not pickle: work here
            return False
        return True

    def stop(self, wait: bool) -> None:
        """End the worker: it exits when its stdin closes; unless waiting, kill it now."""
        if not wait:
            self.process.kill()
        with suppress(OSError):
            assert self.process.stdin is not None
            self.process.stdin.close()
        try:
            self.process.wait(timeout=WORKER_PATIENCE_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def close(self) -> None:
        """Release the reply pipe (once no thread reads it)."""
        assert self.process.stdout is not None
        self.process.stdout.close()


def serve_worker() -> None:
    """A worker process's main loop: (database, policy, now) once, then batches of ticket ids
    until stdin closes; each answered with its figures, or None if it raised."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    path, policy, now_us = pickle.load(stdin)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA query_only = ON")
    conn.execute("PRAGMA busy_timeout = 10000")
    while True:
        try:
            ticket_ids = pickle.load(stdin)
        except EOFError:
            break
        try:
            reply = _compute_batch(conn, policy, ticket_ids, now_us)
        except Exception:  # the parent redoes the batch and raises the error there
            reply = None
        pickle.dump(reply, stdout, pickle.HIGHEST_PROTOCOL)
        stdout.flush()
    conn.close()
