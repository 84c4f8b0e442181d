"""tui-desk: a keyboard-driven helpdesk in the terminal."""

__version__ = "0.1.0"
