"""The reply / note composer: ctrl+s sends, escape cancels (asking first if text was typed)."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Select, Static, TextArea

from tui_desk.tui.text import user_text
from tui_desk.tui.widgets.fields import DraftArea


@dataclass(frozen=True, slots=True)
class Draft:
    body: str
    status: str | None = None


class ComposerScreen(ModalScreen[Draft | None]):
    BINDINGS = [
        Binding("ctrl+s", "send", "Send", priority=True, id="send"),
        Binding("escape", "cancel", "Cancel", priority=True, id="cancel"),
        Binding("ctrl+e", "editor", "$EDITOR", priority=True, id="editor"),
    ]

    def __init__(
        self,
        title: str,
        statuses: list[str],
        initial: str = "",
        check: Callable[[str], None] | None = None,
    ) -> None:
        """`check(body)` raises ServiceError for a body that cannot be sent (too long):
        the composer then says why and stays open with the text."""
        super().__init__()
        self.title_text = title
        self.check = check
        self.statuses = statuses
        self.initial = initial
        self._confirming = False

    def compose(self) -> ComposeResult:
        with Vertical(id="composer", classes="dialog"):
            yield Label(user_text(self.title_text, "bold"))
            yield DraftArea(
                self.initial, id="composer-body", soft_wrap=True, show_line_numbers=False
            )
            with Horizontal(id="composer-bar"):
                if self.statuses:
                    yield Label("then set status:")
                    yield Select(
                        ((s, s) for s in self.statuses), prompt="(unchanged)", id="composer-status"
                    )
            yield Static(
                Text("ctrl+s send · ctrl+e $EDITOR · esc cancel", style="dim"), id="composer-hint"
            )

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_send(self) -> None:
        body = self.query_one(TextArea).text
        if not body.strip():
            self.notify("Nothing to send: write something first.", severity="warning")
            return
        if self.check is not None:
            from tui_desk.services import ServiceError

            try:
                self.check(body)
            except ServiceError as exc:
                self.notify(str(exc), title="Not sent", severity="error", timeout=10)
                return
        status = None
        if self.statuses:
            value = self.query_one(Select).value
            status = value if isinstance(value, str) else None
        self.dismiss(Draft(body, status))

    def action_editor(self) -> None:
        """Edit the draft in $VISUAL / $EDITOR; the app steps aside while it runs."""
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not editor:
            self.notify(
                "Set $EDITOR (e.g. export EDITOR=vim) to write in your editor.", severity="warning"
            )
            return
        area = self.query_one(TextArea)
        with tempfile.NamedTemporaryFile(
            "w+", suffix=".md", delete=False, encoding="utf-8"
        ) as handle:
            handle.write(area.text)
            path = handle.name
        try:
            with self.app.suspend():
                subprocess.run([*shlex.split(editor), path], check=False)
            with open(path, encoding="utf-8") as handle:
                area.text = handle.read()
        except (OSError, ValueError) as exc:  # no such editor, or suspend unsupported here
            self.notify(f"Could not run {editor!r}: {exc}", severity="error")
        finally:
            os.unlink(path)
        area.focus()

    def action_cancel(self) -> None:
        if self.query_one(TextArea).text.strip() and not self._confirming:
            self._confirming = True
            self.notify(
                "Discard this draft? Press esc again to discard, ctrl+s to send.",
                severity="warning",
            )
            return
        self.dismiss(None)
