"""What identifies a thread: the resolved path of its file. Different files are never merged, whatever their
names; the same file again changes nothing; an edited file becomes a revision of its own thread."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from bot.core.parser import load_thread_file
from bot.importer import import_loaded, import_paths
from db.migrate import available
from db.store import Store


def write(path: Path, title: str, comment: str = "A comment.") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{title}\n\nThe article.\n\nAnn's picture\n\n{comment}\n", encoding="utf-8")
    return path


async def current_titles(store: Store) -> list[str]:
    return sorted(t.title for t in await store.threads())


async def test_files_sharing_a_name_in_different_folders_are_different_threads(store, tmp_path):
    feb = write(tmp_path / "2017" / "feb" / "comments.txt", "February's article")
    mar = write(tmp_path / "2018" / "mar" / "comments.txt", "March's article")
    summary = await import_paths(store, [tmp_path])
    assert summary.new_threads == 2 and summary.new_revisions == 0
    assert await current_titles(store) == ["February's article", "March's article"]
    assert sorted(t.slug for t in await store.threads()) == ["comments", "comments-2"]
    # Named one by one, or again, they are still two threads, each unchanged.
    again = [await import_loaded(store, load_thread_file(p)) for p in (feb, mar)]
    assert [r.status for r in again] == ["unchanged", "unchanged"]
    assert len({r.thread_id for r in again}) == 2


async def test_the_same_file_by_another_path_is_unchanged_and_an_edit_is_a_revision(store, tmp_path, monkeypatch):
    story = write(tmp_path / "news" / "story.txt", "The story", "First version.")
    first = await import_loaded(store, load_thread_file(story))
    monkeypatch.chdir(tmp_path / "news")
    link = tmp_path / "link.txt"
    link.symlink_to(story)
    for other in (Path("story.txt"), Path("../news/./story.txt"), link):
        result = await import_loaded(store, load_thread_file(other))
        assert (result.status, result.thread_id, result.revision) == ("unchanged", first.thread_id, 1)
    write(story, "The story, corrected", "Second version.")
    edited = await import_loaded(store, load_thread_file(Path("story.txt")))
    assert (edited.status, edited.thread_id, edited.revision) == ("revision", first.thread_id, 2)
    assert await current_titles(store) == ["The story, corrected"]


async def test_a_copy_of_a_stored_file_elsewhere_is_unchanged_until_it_is_edited(store, tmp_path):
    original = write(tmp_path / "a" / "story.txt", "The story")
    copy = tmp_path / "b" / "copy.txt"
    copy.parent.mkdir()
    copy.write_bytes(original.read_bytes())
    first = await import_loaded(store, load_thread_file(original))
    same = await import_loaded(store, load_thread_file(copy))
    assert (same.status, same.thread_id) == ("unchanged", first.thread_id)
    write(copy, "Another story")
    other = await import_loaded(store, load_thread_file(copy))
    assert other.status == "new" and other.thread_id != first.thread_id
    assert await current_titles(store) == ["Another story", "The story"]


async def test_threads_stored_before_identity_by_path_are_found_by_their_old_path(tmp_path, monkeypatch):
    """A database from before migration 0004 (thread = file stem): re-importing its file still makes revisions
    of the same thread, and an article the old rule had hidden under another file's thread comes back."""
    monkeypatch.chdir(tmp_path)
    feb = write(tmp_path / "2017" / "feb" / "comments.txt", "February's article")
    mar = write(tmp_path / "2018" / "mar" / "comments.txt", "March's article")
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:  # what the old importer left: March became revision 2 of February
        for migration in available()[:3]:
            conn.executescript(migration.sql)
        conn.execute("PRAGMA user_version = 3")
        conn.execute("INSERT INTO threads (id, slug) VALUES (1, 'comments')")
        for number, file in ((1, feb), (2, mar)):
            loaded = load_thread_file(file.relative_to(tmp_path))
            conn.execute("INSERT INTO revisions (thread_id, number, sha256, source_path, title, article,"
                         " comment_count) VALUES (1, ?, ?, ?, ?, '[]', 0)",
                         (number, loaded.sha256, str(loaded.path), loaded.thread.title))
    async with Store.opened(path) as store:
        assert await current_titles(store) == ["March's article"]
        write(mar, "March's article, updated")
        updated = await import_loaded(store, load_thread_file(Path("2018/mar/comments.txt")))
        assert (updated.status, updated.thread_id, updated.revision) == ("revision", 1, 3)
        back = await import_loaded(store, load_thread_file(feb))
        assert back.status == "new" and back.thread_id != 1
        assert await current_titles(store) == ["February's article", "March's article, updated"]
        again = await import_loaded(store, load_thread_file(mar))
        assert (again.status, again.thread_id) == ("unchanged", 1)


# -- the rule as a property: any files, any names, imported in any order, edited any number of times ----------

NAMES = st.sampled_from(["comments.txt", "index.txt", "story.txt", "Comments.txt"])
FOLDERS = st.sampled_from(["", "2017/feb", "2018/mar", "2018/mar/old"])
STEPS = st.lists(st.tuples(st.integers(0, 5), st.booleans()), min_size=1, max_size=12)


@given(files=st.lists(st.tuples(FOLDERS, NAMES), min_size=1, max_size=6, unique=True), steps=STEPS)
def test_every_file_is_its_own_thread_and_only_edits_make_revisions(files, steps):
    asyncio.run(_run_steps(files, steps))


async def _run_steps(files: list[tuple[str, str]], steps: list[tuple[int, bool]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = [root / folder / name for folder, name in files]
        versions = dict.fromkeys(paths, 0)
        thread_of: dict[Path, int] = {}
        for path in paths:
            write(path, f"{path.relative_to(root)} v0")  # every file's content is its own
        async with Store.opened(root / "db.sqlite3") as store:
            for index, edit in steps:
                path = paths[index % len(paths)]
                if edit:
                    versions[path] += 1
                    write(path, f"{path.relative_to(root)} v{versions[path]}")
                result = await import_loaded(store, load_thread_file(path))
                expected_thread = thread_of.setdefault(path, result.thread_id)
                assert result.thread_id == expected_thread, "a file moved to another thread"
                assert result.status in (("new", "revision", "unchanged") if edit else ("new", "unchanged"))
            current = {t.id: t.title for t in await store.threads()}
            assert len(current) == len(thread_of) == len(set(thread_of.values())), "two files were merged"
            for path, thread_id in thread_of.items():
                assert current[thread_id] == f"{path.relative_to(root)} v{versions[path]}"
            # Importing everything again changes nothing.
            summary = await import_paths(store, [p for p in paths if p in thread_of])
            assert summary.unchanged == len(thread_of) and not summary.failed
        assert os.listdir(root)
