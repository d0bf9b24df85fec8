"""/thread: browse and search the imported threads."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.text import escape_markdown
from bot.runtime.app import RethreadBot
from bot.runtime.options import ThreadArg

LIST_LIMIT = 20


def fts_query(text: str) -> str:
    """Plain words to an FTS5 query that cannot be a syntax error: each word quoted, all required."""
    words = [w.replace('"', "") for w in text.split()]
    return " ".join(f'"{w}"' for w in words if w)


class Threads(commands.GroupCog, group_name="thread", group_description="Browse the imported comment threads"):
    def __init__(self, bot: RethreadBot):
        self.bot = bot

    @app_commands.command(name="list", description="List the threads that can be posted and replayed")
    async def list_(self, interaction: discord.Interaction[RethreadBot]) -> None:
        rows = await self.bot.store.threads()
        if not rows:
            await interaction.response.send_message(
                "No threads are imported yet. An admin can add some with `rethread import FOLDER`.", ephemeral=True)
            return
        lines = [f"`{row.id:>3}` **{escape_markdown(row.title)}** · {row.comments} comments"
                 for row in rows[:LIST_LIMIT]]
        if len(rows) > LIST_LIMIT:
            lines.append(f"…and {len(rows) - LIST_LIMIT} more: type in the `thread:` option of a command to search.")
        embed = discord.Embed(title=f"{len(rows)} threads", description="\n".join(lines),
                              colour=discord.Colour.blurple())
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="info", description="Show a thread's title, size and most active commenters")
    @app_commands.describe(thread="Start typing the title, then pick it from the list")
    async def info(self, interaction: discord.Interaction[RethreadBot], thread: ThreadArg) -> None:
        parsed = await self.bot.store.load_thread(thread.id)
        if parsed is None:
            await interaction.response.send_message("That thread was removed meanwhile.", ephemeral=True)
            return
        authors: dict[str, int] = {}
        for comment in parsed.comments:
            authors[comment.author] = authors.get(comment.author, 0) + 1
        top = sorted(authors.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
        replies = sum(1 for c in parsed.comments if c.reply_to is not None)
        embed = discord.Embed(title=parsed.title, colour=discord.Colour.blurple())
        if parsed.byline:
            embed.description = parsed.byline
        embed.add_field(name="Comments", value=f"{len(parsed.comments)} ({replies} replies)")
        embed.add_field(name="Commenters", value=str(len(authors)))
        if top:
            embed.add_field(name="Most active", value="\n".join(f"{name} · {n}" for name, n in top), inline=False)
        embed.set_footer(text=f"Thread {thread.id} · revision {thread.revision}")
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="search", description="Search every imported comment")
    @app_commands.describe(query="Words to look for (\"a phrase\" works too)")
    async def search(self, interaction: discord.Interaction[RethreadBot],
                     query: app_commands.Range[str, 1, 200]) -> None:
        hits = await self.bot.store.search_comments(fts_query(query), limit=10)
        if not hits:
            await interaction.response.send_message(f"No comment mentions “{query}”.", ephemeral=True)
            return
        lines = [f"thread `{t}` #{n} **{escape_markdown(a)}**: {s}" for t, n, a, s in hits]
        await interaction.response.send_message("\n".join(lines)[:2000], ephemeral=True)


async def setup(bot: RethreadBot) -> None:
    await bot.add_cog(Threads(bot))
