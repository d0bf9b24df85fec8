"""The buttons on a replay's status message. Their custom ids carry the action and the replay id, so a click
still reaches the replay after the bot restarts; the replay cog answers them (``cogs/replay.py``)."""

from __future__ import annotations

import discord

from bot.core.replays import Replay, ReplayAction, ReplayState

BUTTON_ID_TEMPLATE = r"rethread:replay:(?P<action>[a-z]+):(?P<id>\d+)"

BUTTONS = {
    ReplayAction.PAUSE: ("Pause", "⏸", discord.ButtonStyle.secondary),
    ReplayAction.RESUME: ("Resume", "▶", discord.ButtonStyle.success),
    ReplayAction.NEXT: ("Next", "⏭", discord.ButtonStyle.primary),
    ReplayAction.STOP: ("Stop", "⏹", discord.ButtonStyle.danger),
}


def control_button(action: ReplayAction, replay_id: int) -> discord.ui.Button:
    label, emoji, style = BUTTONS[action]
    return discord.ui.Button(label=label, emoji=emoji, style=style,
                             custom_id=f"rethread:replay:{action.value}:{replay_id}")


def controls_view(replay: Replay) -> discord.ui.View | None:
    """The buttons that fit the replay's state; none once it has ended."""
    if not replay.live:
        return None
    actions = ([ReplayAction.PAUSE, ReplayAction.NEXT, ReplayAction.STOP] if replay.state is ReplayState.RUNNING
               else [ReplayAction.RESUME, ReplayAction.STOP])
    view = discord.ui.View(timeout=None)
    for action in actions:
        view.add_item(control_button(action, replay.id))
    # Only the layout: the cog's dynamic item answers the clicks. Stopped, the view is not kept by discord.py,
    # which would otherwise hold one per status message for the life of the process (about 3 KB a replay: half
    # the memory growth bench/soak.py measured).
    view.stop()
    return view
