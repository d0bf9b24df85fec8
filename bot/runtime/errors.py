"""The error a member can fix: raised anywhere in a command, answered by the tree as an ephemeral message."""

from __future__ import annotations

from discord import app_commands


class UserError(app_commands.AppCommandError):
    """Something the user can fix; the message (which says how) is shown to them alone."""
