"""A thread read back with what members wrote in this guild's discussions of it: the exported file and the
statistics. Always against the revision a discussion was held on (its numbers and reply links are that
revision's), not the thread's current one. Queries and the core's builders only: the CLI uses it too."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.discussions import Discussion
from bot.core.export import export_discussion, export_thread
from bot.core.thread_stats import ThreadActivity, thread_activity
from db.store import Store


@dataclass(frozen=True, slots=True)
class ExportedThread:
    title: str
    text: str
    captured: int  # members' comments in it (0: the thread as imported)


@dataclass(frozen=True, slots=True)
class ThreadStatistics:
    title: str
    activity: ThreadActivity
    discussions: int


async def exported(store: Store, thread_id: int, discussion: Discussion | None) -> ExportedThread | None:
    """The thread file: the current revision, or the discussion's revision followed by its members' comments."""
    if discussion is None:
        thread = await store.load_thread(thread_id)
        return ExportedThread(thread.title, export_thread(thread), 0) if thread else None
    thread = await store.revision_thread(discussion.revision_id)
    if thread is None:
        return None
    captured = await store.discussions.comments(discussion.id)
    return ExportedThread(thread.title, export_discussion(thread, captured), len(captured))


async def statistics(store: Store, guild_id: int, thread_id: int,
                     discussion: Discussion | None) -> ThreadStatistics | None:
    """One discussion on its revision; or the current revision with every discussion this guild held on it."""
    revision_id = discussion.revision_id if discussion else await store.revision_id(thread_id)
    title = await store.revision_title(revision_id or 0)
    if revision_id is None or title is None:
        return None
    held = [discussion] if discussion else [
        d for d in await store.discussions.of_guild_thread(guild_id, thread_id, limit=1000)
        if d.revision_id == revision_id]
    activity = thread_activity(await store.discussions.thread_links(revision_id),
                               await store.discussions.captured_links([d.id for d in held]))
    return ThreadStatistics(title, activity, len(held))
