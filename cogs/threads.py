"""/thread: browse and search the imported threads.

Every answer is read with SQL summaries (counts, ``LIMIT``), never by loading a whole thread, and fitted to
Discord's limits; thread text is shown literally (markdown escaped, mentions inert)."""

from __future__ import annotations

import asyncio
import io

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import limits
from bot.core.charts import activity_chart
from bot.core.discussions import Discussion
from bot.core.text import defuse_mentions, escape_markdown, plural, shorten
from bot.core.thread_stats import ThreadActivity
from bot.runtime.app import RethreadBot
from bot.runtime.errors import UserError
from bot.runtime.options import ThreadArg, chosen_thread_id
from bot.runtime.paging import PageButtons
from bot.runtime.posting import NO_MENTIONS
from bot.runtime.replayer import jump_url
from db.reading import exported, statistics
from db.search import CAPTURED, parse_query
from db.store import SearchHit, SearchResults, ThreadSummary

LIST_PAGE = 20  # threads per page of /thread list
LIST_TITLE = 150  # characters of a title in the list
SEARCH_HITS = 10  # a page
SEARCH_PAGES = 5
SEARCH_AUTHOR = 60
SEARCH_LINE = 400  # characters of one hit, markdown included
TOP_NAME = 80


def literal(text: str, limit: int) -> str:
    """``text`` on one line, markdown escaped and mentions defused, shortened so that it fits in ``limit``."""
    text = " ".join(text.split())
    room = limit
    while True:
        shown = defuse_mentions(escape_markdown(shorten(text, room)))
        if len(shown) <= limit or room <= 1:
            return shown if len(shown) <= limit else "…"
        room -= max(1, len(shown) - limit)


def _shown(text: str) -> str:
    return defuse_mentions(escape_markdown(text))


def hit_line(hit: SearchHit, limit: int = SEARCH_LINE) -> str:
    """One search hit: thread, number, author in bold, the passage with its matches in bold; at most ``limit``."""
    line = f"`{hit.thread_id}` #{hit.number} **{literal(hit.author, SEARCH_AUTHOR)}**:"
    if hit.snippet:
        line += " "
    for text, highlighted in hit.snippet:
        bold = 4 if highlighted else 0
        shown = _shown(text)
        if len(line) + len(shown) + bold <= limit - 1:
            line += f"**{shown}**" if highlighted else shown
            continue
        room = limit - len(line) - bold - 1  # keep one character for the ellipsis
        lead = " " if text[:1].isspace() else ""
        if room - len(lead) >= 4:
            cut = literal(text, room - len(lead))
            line += lead + (f"**{cut}**" if highlighted else cut)
        if not line.endswith("…"):
            line += "…"
        break
    return line


def search_pages(query: str, results: SearchResults, links: dict[tuple[str, int], str]) -> list[discord.Embed]:
    """How many comments matched, then the hits, SEARCH_HITS a page, each with a jump link where it can be seen
    in this server: embeds within Discord's limits."""
    shown_query = literal(query, 100)
    count = f"{results.total:,}{'+' if results.capped else ''}"
    noun = "comment matches" if results.total == 1 else "comments match"
    title = f"{count} {noun} “{shown_query}”"
    lines = []
    for hit in results.hits:
        link = links.get((hit.source, hit.id))
        jump = f" [↗]({link})" if link else ""
        mark = " *(member)*" if hit.source == CAPTURED else ""
        lines.append(hit_line(hit, SEARCH_LINE - len(jump) - len(mark)) + mark + jump)
    chunks = [lines[i:i + SEARCH_HITS] for i in range(0, len(lines), SEARCH_HITS)] or [[]]
    more = "; refine the words to narrow it down" if len(results.hits) < results.total else ""
    pages = []
    for number, chunk in enumerate(chunks, 1):
        page = discord.Embed(title=title, description="\n".join(chunk), colour=discord.Colour.blurple())
        page.set_footer(text=f"Page {number} of {len(chunks)} · showing {len(results.hits):,} of {count}{more}")
        pages.append(page)
    return pages


def activity_embed(title: str, activity: ThreadActivity, discussions: int) -> discord.Embed:
    embed = discord.Embed(title=literal(title, limits.EMBED_TITLE), colour=discord.Colour.blurple())
    embed.add_field(name="Comments", value=f"{activity.comments:,}: {activity.original:,} in the thread, "
                                           f"{activity.members:,} by members ({plural(discussions, 'discussion')})")
    embed.add_field(name="Authors", value=f"{activity.authors:,}")
    embed.add_field(name="Deepest reply chain", value=plural(activity.deepest, "reply", "replies"))
    if activity.most_active:
        embed.add_field(name="Most active", inline=False, value="\n".join(
            f"{literal(a, TOP_NAME)} · {o + m:,}" + (f" ({m:,} as a member)" if m else "")
            for a, o, m in activity.most_active))
    if activity.most_replied:
        embed.add_field(name="Most replied to", inline=False, value="\n".join(
            f"#{n} {literal(a, TOP_NAME)} · {plural(count, 'reply', 'replies')}"
            for n, a, count in activity.most_replied))
    return embed


async def discussion_choices(interaction: discord.Interaction[RethreadBot],
                             current: str) -> list[app_commands.Choice[int]]:
    """This server's discussions of the thread chosen in the same command, newest first."""
    thread_id = chosen_thread_id(interaction)
    if thread_id is None or interaction.guild_id is None:
        return []
    found = await interaction.client.store.discussions.of_guild_thread(interaction.guild_id, thread_id)
    return [app_commands.Choice(name=f"Discussion {d.id} ({d.state.value}) in #{channel_name(interaction, d)}"[:100],
                                value=d.id) for d in found if not current or current in str(d.id)]


def channel_name(interaction: discord.Interaction, discussion: Discussion) -> str:
    channel = interaction.guild.get_channel_or_thread(discussion.channel_id) if interaction.guild else None
    return channel.name if channel else str(discussion.channel_id)


class Threads(commands.GroupCog, group_name="thread", group_description="Browse the imported comment threads"):
    def __init__(self, bot: RethreadBot):
        self.bot = bot

    @app_commands.command(name="list", description="List the threads that can be posted and replayed")
    @app_commands.describe(page=f"Which page of {LIST_PAGE} threads (default: the first)")
    async def list_(self, interaction: discord.Interaction[RethreadBot],
                    page: app_commands.Range[int, 1, 1_000_000] = 1) -> None:
        total, page, rows = await self.bot.store.thread_page(page, LIST_PAGE)  # one read, whatever the page
        if not total:
            await interaction.response.send_message(
                "No threads are imported yet. An admin can add some with `rethread import FOLDER`.", ephemeral=True)
            return
        pages = -(-total // LIST_PAGE)
        lines: list[str] = []
        used = 0
        for row in rows:
            line = f"`{row.id:>3}` **{literal(row.title, LIST_TITLE)}** · {plural(row.comments, 'comment')}"
            if used + len(line) + 1 > limits.EMBED_DESCRIPTION:
                break
            lines.append(line)
            used += len(line) + 1
        embed = discord.Embed(title=plural(total, "thread"), description="\n".join(lines),
                              colour=discord.Colour.blurple())
        if pages > 1:
            more = f" · /thread list page:{page + 1} for more" if page < pages else ""
            embed.set_footer(text=f"Page {page} of {pages}{more}; or type in the thread: option of a command")
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="info", description="Show a thread's title, size and most active commenters")
    @app_commands.describe(thread="Start typing the title, then pick it from the list")
    async def info(self, interaction: discord.Interaction[RethreadBot], thread: ThreadArg) -> None:
        stats = await self.bot.store.thread_stats(thread.id)
        if stats is None:
            await interaction.response.send_message("That thread was removed meanwhile.", ephemeral=True)
            return
        embed = discord.Embed(title=literal(stats.title, limits.EMBED_TITLE), colour=discord.Colour.blurple())
        if stats.byline:
            embed.description = literal(stats.byline, 1000)
        embed.add_field(name="Comments", value=f"{stats.comments:,} ({plural(stats.replies, 'reply', 'replies')})")
        embed.add_field(name="Commenters", value=f"{stats.commenters:,}")
        top: list[str] = []
        for name, count in stats.top_authors[:5]:
            line = f"{literal(name, TOP_NAME)} · {count:,}"
            if sum(len(x) + 1 for x in top) + len(line) > limits.EMBED_FIELD_VALUE:
                break
            top.append(line)
        if top:
            embed.add_field(name="Most active", value="\n".join(top), inline=False)
        embed.set_footer(text=f"Thread {stats.id} · revision {stats.revision}")
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="search", description="Search the imported comments and this server's discussions")
    @app_commands.describe(query="Words to look for, in any order (\"a phrase\" works too)",
                           thread="Only this thread (start typing the title)")
    async def search(self, interaction: discord.Interaction[RethreadBot], query: app_commands.Range[str, 1, 200],
                     thread: ThreadArg | None = None) -> None:
        if not parse_query(query):
            await interaction.response.send_message(
                f"“{literal(query, 100)}” has no words to look for: type some words, or \"a phrase\".",
                ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)  # a common word in a big corpus takes a while
        guild_id = interaction.guild_id
        results = await self.bot.store.search_comments(query, limit=SEARCH_HITS * SEARCH_PAGES, guild_id=guild_id,
                                                       thread_id=thread.id if thread else None)
        if not results.hits:
            await interaction.edit_original_response(content=f"No comment matches “{literal(query, 100)}”.",
                                                     allowed_mentions=NO_MENTIONS)
            return
        targets = await self.bot.store.jump_targets(guild_id, results.hits) if guild_id else {}
        links = {key: jump_url(guild_id or 0, *where) for key, where in targets.items()}
        pages = search_pages(query, results, links)
        if len(pages) == 1:
            await interaction.edit_original_response(embed=pages[0], allowed_mentions=NO_MENTIONS)
            return
        view = PageButtons(pages, interaction.user.id)
        view.message = await interaction.edit_original_response(embed=view.page, view=view,
                                                                allowed_mentions=NO_MENTIONS)

    async def _discussion(self, interaction: discord.Interaction[RethreadBot], thread: ThreadSummary,
                          number: int | None) -> Discussion | None:
        if number is None:
            return None
        discussion = await self.bot.store.discussions.get(number)
        if discussion is None or discussion.guild_id != interaction.guild_id or discussion.thread_id != thread.id:
            raise UserError(f"This server has no discussion {number} of that thread; "
                            "pick one from the list the `discussion` option offers.")
        return discussion

    @app_commands.command(name="export", description="The thread as a file, with what members wrote in a discussion")
    @app_commands.describe(thread="Start typing the title, then pick it from the list",
                           discussion="Add this discussion's comments (this server's discussions of the thread)")
    @app_commands.autocomplete(discussion=discussion_choices)
    async def export(self, interaction: discord.Interaction[RethreadBot], thread: ThreadArg,
                     discussion: int | None = None) -> None:
        chosen = await self._discussion(interaction, thread, discussion)
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await exported(self.bot.store, thread.id, chosen)
        if found is None:
            raise UserError("That thread was removed meanwhile; pick another.")
        data = found.text.encode("utf-8")
        name = f"thread-{thread.id}" + (f"-discussion-{chosen.id}" if chosen else "") + ".txt"
        if len(data) > interaction.filesize_limit:
            command = f"rethread export {thread.id}" + (f" --discussion {chosen.id}" if chosen else "")
            raise UserError(f"The file would be {len(data) / 2**20:.1f} MB, over the "
                            f"{interaction.filesize_limit / 2**20:.0f} MB Discord lets me attach here. An admin can "
                            f"write it with `{command}`.")
        what = f"with {plural(found.captured, 'comment')} by members" if chosen else "as imported"
        await interaction.followup.send(f"**{literal(found.title, 200)}**, {what}, in the thread-file format.",
                                        file=discord.File(io.BytesIO(data), filename=name), ephemeral=True)

    @app_commands.command(name="stats", description="Who wrote how much, and which comments drew the most replies")
    @app_commands.describe(thread="Start typing the title, then pick it from the list",
                           discussion="Only this discussion's comments by members (default: all of this server's)")
    @app_commands.autocomplete(discussion=discussion_choices)
    async def stats(self, interaction: discord.Interaction[RethreadBot], thread: ThreadArg,
                    discussion: int | None = None) -> None:
        chosen = await self._discussion(interaction, thread, discussion)
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await statistics(self.bot.store, interaction.guild_id or 0, thread.id, chosen)
        if found is None:
            raise UserError("That thread was removed meanwhile; pick another.")
        embed = activity_embed(found.title, found.activity, found.discussions)
        chart = await asyncio.to_thread(activity_chart, found.title, list(found.activity.most_active))
        embed.set_image(url="attachment://activity.png")
        await interaction.followup.send(embed=embed, file=discord.File(io.BytesIO(chart), filename="activity.png"),
                                        ephemeral=True, allowed_mentions=NO_MENTIONS)


async def setup(bot: RethreadBot) -> None:
    await bot.add_cog(Threads(bot))
