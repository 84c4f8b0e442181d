"""A corpus of hostile user text, shared by the CLI and TUI tests (issue #10).

Each string is something a customer's email, an import or a careless paste can carry: ANSI
and OSC escapes that clear the screen, move the cursor or retitle the window; C1 controls
that some terminals obey like ESC; bidi overrides that reverse what the eye reads; line
breaks that forge an extra row; a bell; undecodable bytes. `forbidden_in` is this test
suite's own statement of what must never reach a terminal, written independently of
`tui_desk.core.text` so the tests do not trust the code they check.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

SUBJECTS = (
    "\x1b[2J\x1b[H\x1b[41mX",
    "Login\nfails\n#999   open     urgent      1h  forged row",
    "Invoice \u202eexe.fdp",
    "C1 \x9b31mred\x9b0m and \x9d0;T\x9c",
    "tab\tand\rreturn\x0b\x0c",
)
NAMES = (
    "Cust\x1b]2;TITLE\x1b\\",
    "Ana\x07\x07",
    "\u2066Bob\u2069 \u202dEve",
    "8-bit \xe9\xff\x9b6n bytes",
)
# What undecodable bytes in arguments become (surrogate escapes); a store cannot hold them.
UNDECODABLE = "Bytes \udc9b\udcff"
BODIES = (
    "\x1b]2;T\x1b\\ \x1b[5;1HMOVED",
    "line one\r\nline two\x1b[1A\x1b[2Kerased\n\x1bc reset",
    "8-bit \x85 \x8d \x9b?1049h alternate screen",
    "\u202eevil\u202c and \u2067isolate\u2069\x7f",
)
TAGS = ("vip\x07", "bill\x1b[8ming", "\x9b0m")
EMAILS = ("a\x1b]2;pwned\x07@x.io",)

# What may never reach the terminal: C0 controls but newline, DEL, C1, bidi embeddings,
# overrides and isolates, lone surrogates.
_FORBIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def forbidden_in(output: str) -> list[str]:
    """The forbidden characters in `output`, spelled so a failure message is readable."""
    return sorted({f"U+{ord(c):04X}" for c in _FORBIDDEN.findall(output)})


def plant(db: Path) -> None:
    """Overwrite the text of every ticket, customer, contact, operator, tag and event in
    the store at `db` with hostile values, as an older tui-desk or another writer could
    have left them (the services of this version would normalise them on the way in)."""
    with sqlite3.connect(db) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM ticket ORDER BY id")]
        for n, ticket_id in enumerate(ids):
            conn.execute(
                "UPDATE ticket SET subject = ? WHERE id = ?",
                (SUBJECTS[n % len(SUBJECTS)], ticket_id),
            )
            conn.execute(
                "UPDATE ticket_tag SET tag = ? WHERE ticket_id = ?",
                (TAGS[n % len(TAGS)], ticket_id),
            )
        for n, (customer_id,) in enumerate(conn.execute("SELECT id FROM customer").fetchall()):
            conn.execute(
                "UPDATE customer SET name = ? WHERE id = ?",
                (f"{NAMES[n % len(NAMES)]} {n}", customer_id),
            )
        for n, (contact_id,) in enumerate(conn.execute("SELECT id FROM contact").fetchall()):
            conn.execute(
                "UPDATE contact SET email = ? WHERE id = ?",
                (f"{n}{EMAILS[0]}", contact_id),
            )
        for old, new in _renamed_operators(conn):
            conn.execute("UPDATE operator SET name = ? WHERE name = ?", (new, old))
            conn.execute("UPDATE ticket SET assignee = ? WHERE assignee = ?", (new, old))
            conn.execute("UPDATE event SET author = ? WHERE author = ?", (new, old))
        rows = conn.execute("SELECT id FROM event WHERE body IS NOT NULL ORDER BY id").fetchall()
        for n, (event_id,) in enumerate(rows):
            conn.execute(
                "UPDATE event SET body = ? WHERE id = ?", (BODIES[n % len(BODIES)], event_id)
            )


def _renamed_operators(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    names = [row[0] for row in conn.execute("SELECT name FROM operator ORDER BY id")]
    return [(name, f"{NAMES[n % len(NAMES)]}{n}") for n, name in enumerate(names)]
