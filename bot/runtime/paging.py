"""Previous/Next buttons over pages of embeds built in advance: for answers too long for one message."""

from __future__ import annotations

import contextlib
import time

import discord

PAGE_TIMEOUT = 600.0  # seconds the buttons work after the last click
TOKEN_LIFETIME = 14 * 60.0  # an answer can be edited for 15 minutes after the command: stop a minute before


class PageButtons(discord.ui.View):
    """Only the member who asked may turn the pages; after PAGE_TIMEOUT the buttons stop and say so."""

    def __init__(self, pages: list[discord.Embed], owner_id: int):
        super().__init__(timeout=PAGE_TIMEOUT)
        self.pages = pages
        self.owner_id = owner_id
        self.index = 0
        self.message: discord.InteractionMessage | None = None
        self.asked_at = time.monotonic()
        self._show()

    def _show(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= len(self.pages) - 1

    @property
    def page(self) -> discord.Embed:
        return self.pages[self.index]

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if time.monotonic() - self.asked_at > TOKEN_LIFETIME:
            self.stop()
            await interaction.response.send_message("These pages are too old to turn: run the command again.",
                                                    ephemeral=True)
            return False
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message("These pages answer someone else's command: run it yourself.",
                                                    ephemeral=True)
            return False
        return True

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        self.index = max(0, min(len(self.pages) - 1, self.index + step))
        self._show()
        await interaction.response.edit_message(embed=self.page, view=self)

    @discord.ui.button(label="Previous", emoji="◀️", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next", emoji="▶️", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._turn(interaction, 1)

    async def on_timeout(self) -> None:
        if self.message is not None:
            for item in self.children:
                if isinstance(item, discord.ui.Button):
                    item.disabled = True
            with contextlib.suppress(discord.HTTPException):  # the answer was dismissed: nothing to update
                await self.message.edit(view=self)
