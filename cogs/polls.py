"""/poll: members vote on a thread's comments with Discord's native polls; results kept and drawn."""

from __future__ import annotations

import asyncio
import io
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.charts import results_chart
from bot.core.polls import (
    DEFAULT_HOURS,
    MAX_HOURS,
    MIN_HOURS,
    CommentRef,
    PollError,
    PollKind,
    PollSpec,
    comment_poll,
    make_poll,
    parse_numbers,
    results_text,
    split_answers,
)
from bot.core.text import shorten
from bot.runtime.app import RethreadBot
from bot.runtime.errors import UserError
from bot.runtime.options import CHOICE_NAME_LIMIT, ThreadArg
from bot.runtime.permissions import ensure_may_run_replays
from bot.runtime.replayer import jump_url
from bot.runtime.targets import checked_target
from db.polls import StoredPoll
from db.store import ThreadSummary

log = logging.getLogger("rethread.polls")

POLL_NEEDS = ("view_channel", "send_messages", "send_polls")
POLL_ALREADY_ENDED = 520001
Hours = app_commands.Range[int, MIN_HOURS, MAX_HOURS]


async def poll_choices(interaction: discord.Interaction[RethreadBot], current: str) -> list[app_commands.Choice[int]]:
    """This guild's polls, newest first: ``#id question``."""
    polls = await interaction.client.store.polls.in_guild(interaction.guild_id or 0, limit=25)
    typed = current.strip().lower()
    return [app_commands.Choice(name=shorten(f"#{p.id} {p.question}" + (" (ended)" if p.ended else ""),
                                             CHOICE_NAME_LIMIT), value=p.id)
            for p in polls if not typed or typed in f"#{p.id} {p.question}".lower()]


class PollCog(commands.GroupCog, group_name="poll", group_description="Vote on a thread's comments"):
    def __init__(self, bot: RethreadBot):
        self.bot = bot

    # -- making polls ---------------------------------------------------------------------------------------

    async def _target(self, interaction: discord.Interaction[RethreadBot],
                      channel: discord.TextChannel | None) -> discord.TextChannel | discord.Thread:
        settings = await self.bot.store.config.get(interaction.guild_id or 0)
        ensure_may_run_replays(interaction.user, settings)
        return checked_target(interaction, channel, settings, POLL_NEEDS, "post a poll there")

    async def _comment(self, interaction: discord.Interaction[RethreadBot], thread: ThreadSummary,
                       number: int) -> tuple[CommentRef, str | None]:
        revision_id = await self.bot.store.revision_id(thread.id)
        refs = await self.bot.store.polls.comment_refs(revision_id or 0, [number])
        if not refs:
            raise UserError(f"That thread has {thread.comments} comments; choose a number from 1 to "
                            f"{thread.comments}.")
        link = await self.bot.store.replays.replayed_message(interaction.guild_id or 0, revision_id or 0, number)
        return refs[0], jump_url(interaction.guild_id or 0, link[0], link[1]) if link else None

    async def _post(self, interaction: discord.Interaction[RethreadBot],
                    target: discord.TextChannel | discord.Thread, spec, thread: ThreadSummary, kind: PollKind,
                    comment_number: int | None = None) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        stored, message = await self.bot.polls.post(
            target, spec, guild_id=target.guild.id, thread_id=thread.id, kind=kind, comment_number=comment_number,
            created_by=interaction.user.id)
        await interaction.followup.send(f"Poll #{stored.id} posted: {message.jump_url} (open for "
                                        f"{spec.hours} hours).", ephemeral=True)

    @app_commands.command(name="comment", description="Ask members whether they agree with one comment")
    @app_commands.describe(thread="Start typing the title, then pick it from the list",
                           comment="The comment's number", duration="Hours the poll stays open (1 to 768, default 24)",
                           multiple="Let members pick more than one answer",
                           channel="Where to post (default: the server's replay channel, else here)")
    @app_commands.guild_only()
    async def comment(self, interaction: discord.Interaction[RethreadBot], thread: ThreadArg,
                      comment: app_commands.Range[int, 1], duration: Hours = DEFAULT_HOURS, multiple: bool = False,
                      channel: discord.TextChannel | None = None) -> None:
        target = await self._target(interaction, channel)
        ref, link = await self._comment(interaction, thread, comment)
        spec = comment_poll(ref, jump_url=link, hours=duration, multiple=multiple)
        await self._post(interaction, target, spec, thread, PollKind.COMMENT, comment)

    @app_commands.command(name="best", description="Ask members which comment made the best point")
    @app_commands.describe(thread="Start typing the title, then pick it from the list",
                           candidates="Comment numbers, such as 3, 8, 12 (default: the most answered comments)",
                           duration="Hours the poll stays open (1 to 768, default 24)",
                           channel="Where to post (default: the server's replay channel, else here)")
    @app_commands.guild_only()
    async def best(self, interaction: discord.Interaction[RethreadBot], thread: ThreadArg,
                   candidates: str | None = None, duration: Hours = DEFAULT_HOURS,
                   channel: discord.TextChannel | None = None) -> None:
        target = await self._target(interaction, channel)
        spec = await self.best_spec(thread, candidates, duration)
        await self._post(interaction, target, spec, thread, PollKind.BEST)

    async def best_spec(self, thread: ThreadSummary, candidates: str | None, hours: int = DEFAULT_HOURS) -> PollSpec:
        revision_id = await self.bot.store.revision_id(thread.id) or 0
        try:
            numbers = parse_numbers(candidates, thread.comments) if candidates else None
            return await self.bot.polls.best_poll(revision_id, thread.comments, numbers, hours)
        except PollError as exc:
            raise UserError(f"{str(exc)[0].upper()}{str(exc)[1:]}.") from None

    @app_commands.command(name="ask", description="Ask your own question about a thread")
    @app_commands.describe(thread="Start typing the title, then pick it from the list",
                           question="The question (up to 300 characters)",
                           answers="2 to 10 answers separated by semicolons: Yes; No; Maybe",
                           duration="Hours the poll stays open (1 to 768, default 24)",
                           multiple="Let members pick more than one answer",
                           channel="Where to post (default: the server's replay channel, else here)")
    @app_commands.guild_only()
    async def ask(self, interaction: discord.Interaction[RethreadBot], thread: ThreadArg,
                  question: app_commands.Range[str, 1, 300], answers: app_commands.Range[str, 1, 1000],
                  duration: Hours = DEFAULT_HOURS, multiple: bool = False,
                  channel: discord.TextChannel | None = None) -> None:
        target = await self._target(interaction, channel)
        try:
            spec = make_poll(question, split_answers(answers), hours=duration, multiple=multiple)
        except PollError as exc:
            raise UserError(f"{str(exc)[0].upper()}{str(exc)[1:]}.") from None
        await self._post(interaction, target, spec, thread, PollKind.ASK)

    # -- ending, results, list ------------------------------------------------------------------------------

    async def _poll(self, interaction: discord.Interaction[RethreadBot], poll_id: int | None) -> StoredPoll:
        polls = self.bot.store.polls
        poll = await polls.get(poll_id) if poll_id else next(iter(await polls.in_guild(interaction.guild_id or 0,
                                                                                       limit=1)), None)
        if poll is None or poll.guild_id != interaction.guild_id:
            raise UserError("No such poll in this server. Pick one from the list as you type.")
        return poll

    @app_commands.command(name="end", description="End a poll now")
    @app_commands.describe(poll="The poll (default: the newest)")
    @app_commands.autocomplete(poll=poll_choices)
    @app_commands.guild_only()
    async def end(self, interaction: discord.Interaction[RethreadBot], poll: int | None = None) -> None:
        settings = await self.bot.store.config.get(interaction.guild_id or 0)
        ensure_may_run_replays(interaction.user, settings)
        stored = await self._poll(interaction, poll)
        if stored.ended:
            raise UserError(f"Poll #{stored.id} has already ended.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            await self.bot.polls.end(stored)
        except discord.NotFound:
            raise UserError(f"Poll #{stored.id}'s message was deleted.") from None
        except discord.HTTPException as exc:
            if exc.code != POLL_ALREADY_ENDED:
                raise
            self.bot.polls.watch()
            raise UserError(f"Poll #{stored.id} has already ended; its results are being collected.") from None
        await interaction.followup.send(f"Poll #{stored.id} ended. See the results with `/poll results`.",
                                        ephemeral=True)

    @app_commands.command(name="results", description="Show a poll's results as text and as a chart")
    @app_commands.describe(poll="The poll (default: the newest)")
    @app_commands.autocomplete(poll=poll_choices)
    @app_commands.guild_only()
    async def results(self, interaction: discord.Interaction[RethreadBot], poll: int | None = None) -> None:
        stored = await self._poll(interaction, poll)
        results = await self.bot.polls.results(stored)
        text = results_text(stored.question, results)
        # For everyone only where the member could post themselves; otherwise for them alone.
        private = not interaction.permissions.send_messages
        if not interaction.app_permissions.attach_files:
            await interaction.response.send_message(text + "\n-# (no chart: I need Attach Files here)",
                                                    ephemeral=private, allowed_mentions=discord.AllowedMentions.none())
            return
        await interaction.response.defer(thinking=True, ephemeral=private)
        png = await asyncio.get_running_loop().run_in_executor(None, results_chart, stored.question, results)
        await interaction.followup.send(text, file=discord.File(io.BytesIO(png), f"poll-{stored.id}.png"),
                                        ephemeral=private, allowed_mentions=discord.AllowedMentions.none())

    @app_commands.command(name="list", description="List this server's polls")
    @app_commands.describe(thread="Only the polls about this thread")
    async def list_(self, interaction: discord.Interaction[RethreadBot], thread: ThreadArg | None = None) -> None:
        polls = await self.bot.store.polls.in_guild(interaction.guild_id or 0, thread_id=thread.id if thread else None,
                                                    limit=20)
        if not polls:
            await interaction.response.send_message("No polls yet. Start one with `/poll best`.", ephemeral=True)
            return
        lines = [f"`#{p.id}` {shorten(p.question, 120)} · "
                 + ("ended" if p.ended else f"ends <t:{int(p.expires_at.timestamp())}:R>") for p in polls]
        embed = discord.Embed(title="Polls", description=shorten("\n".join(lines), 4096),
                              colour=discord.Colour.blurple())
        await interaction.response.send_message(embed=embed, ephemeral=True)

    # -- events ---------------------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_raw_poll_vote_add(self, payload: discord.RawPollVoteActionEvent) -> None:
        await self.bot.polls.vote(payload, added=True)

    @commands.Cog.listener()
    async def on_raw_poll_vote_remove(self, payload: discord.RawPollVoteActionEvent) -> None:
        await self.bot.polls.vote(payload, added=False)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.type is discord.MessageType.poll_result:
            await self.bot.polls.result_message(message)

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        await self.bot.polls.message_updated(payload)


async def setup(bot: RethreadBot) -> None:
    await bot.add_cog(PollCog(bot))
