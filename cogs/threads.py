"""/thread: browse and search the imported threads.

Every answer is read with SQL summaries (counts, ``LIMIT``), never by loading a whole thread, and fitted to
Discord's limits; thread text is shown literally (markdown escaped, mentions inert)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import limits
from bot.core.text import defuse_mentions, escape_markdown, plural, shorten
from bot.runtime.app import RethreadBot
from bot.runtime.options import ThreadArg
from bot.runtime.posting import NO_MENTIONS
from db.search import parse_query
from db.store import SearchHit, SearchResults

LIST_PAGE = 20  # threads per page of /thread list
LIST_TITLE = 150  # characters of a title in the list
SEARCH_HITS = 10
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


def search_answer(query: str, results: SearchResults) -> str:
    """How many comments matched, then one hit per line: within Discord's 2,000 characters."""
    shown_query = literal(query, 100)
    if not results.hits:
        return f"No comment matches “{shown_query}”."
    count = f"{results.total:,}{'+' if results.capped else ''}"
    noun = "comment matches" if results.total == 1 else "comments match"
    header = f"**{count}** {noun} “{shown_query}”"
    lines: list[str] = []
    for hit in results.hits:
        line = hit_line(hit)
        footer = f"\n-# showing {len(lines) + 1}; refine the words to narrow it down"
        if len(header) + sum(len(x) + 1 for x in lines) + len(line) + 1 + len(footer) > limits.MESSAGE_CONTENT:
            break
        lines.append(line)
    text = "\n".join([header, *lines])
    if len(lines) < results.total:
        text += f"\n-# showing {len(lines)}; refine the words to narrow it down"
    return text[: limits.MESSAGE_CONTENT]


class Threads(commands.GroupCog, group_name="thread", group_description="Browse the imported comment threads"):
    def __init__(self, bot: RethreadBot):
        self.bot = bot

    @app_commands.command(name="list", description="List the threads that can be posted and replayed")
    @app_commands.describe(page=f"Which page of {LIST_PAGE} threads (default: the first)")
    async def list_(self, interaction: discord.Interaction[RethreadBot],
                    page: app_commands.Range[int, 1, 1_000_000] = 1) -> None:
        store = self.bot.store
        total = await store.thread_count()
        if not total:
            await interaction.response.send_message(
                "No threads are imported yet. An admin can add some with `rethread import FOLDER`.", ephemeral=True)
            return
        pages = -(-total // LIST_PAGE)
        page = min(page, pages)
        rows = await store.threads(limit=LIST_PAGE, offset=(page - 1) * LIST_PAGE)
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

    @app_commands.command(name="search", description="Search every imported comment")
    @app_commands.describe(query="Words to look for, in any order (\"a phrase\" works too)")
    async def search(self, interaction: discord.Interaction[RethreadBot],
                     query: app_commands.Range[str, 1, 200]) -> None:
        if not parse_query(query):
            await interaction.response.send_message(
                f"“{literal(query, 100)}” has no words to look for: type some words, or \"a phrase\".",
                ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)  # a common word in a big corpus takes a while
        results = await self.bot.store.search_comments(query, limit=SEARCH_HITS)
        await interaction.edit_original_response(content=search_answer(query, results), allowed_mentions=NO_MENTIONS)


async def setup(bot: RethreadBot) -> None:
    await bot.add_cog(Threads(bot))
