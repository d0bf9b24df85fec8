"""The rethread command line, run as a user runs it: a separate process, real files, a real database."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.core.export import export_thread
from bot.core.model import Block, Comment, Thread
from bot.core.parser import parse_thread
from db.migrate import available
from tests.conftest import DEMO_SEEDS, ROOT


@pytest.fixture
def cli(tmp_path):
    env = {**os.environ, "RETHREAD_DB": str(tmp_path / "cli.sqlite3"), "DISCORD_TOKEN": "", "COLUMNS": "100"}

    def run(*args: str, cwd: Path = tmp_path) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=60)

    return run


def test_parse_json_has_the_documented_shape(cli, shared_seeds):
    result = cli("parse", str(shared_seeds[0]), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"title", "byline", "article", "comments"} <= data.keys()
    assert isinstance(data["title"], str) and all(isinstance(p, str) for p in data["article"])
    keys = {"number", "author", "verified", "posted_at", "reply_to", "reply_to_author", "reply_source",
            "quotes", "paragraphs"}
    for comment in data["comments"]:
        assert keys <= comment.keys()
        assert comment["reply_source"] in (None, "header", "quote", "mention")
    dated = [c["posted_at"] for c in data["comments"] if c["posted_at"]]
    assert dated and all(len(d) == 19 and d[10] == "T" for d in dated)


def test_bad_files_give_one_line_errors_and_non_zero_exit(cli, tmp_path):
    (tmp_path / "empty.txt").write_text("")
    for args, message in [
        (("parse", "empty.txt"), "empty.txt: the file is empty"),
        (("parse", "nope.txt"), "nope.txt: no such file"),
        (("show", "42"), "no thread 42"),
    ]:
        result = cli(*args)
        assert result.returncode != 0
        assert message in result.stderr
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_import_summary_exit_status_and_idempotence(cli, tmp_path):
    (tmp_path / "broken.txt").write_bytes(b"\x00\xff" * 20)
    first = cli("import", str(ROOT / "seeds"), "broken.txt")
    assert first.returncode == 1
    assert f"imported {len(DEMO_SEEDS)} new thread(s)" in first.stdout
    assert "1 failed" in first.stdout and "broken.txt: this looks like a binary file" in first.stderr

    again = cli("import", str(ROOT / "seeds"))
    assert again.returncode == 0
    assert "imported 0 new thread(s)" in again.stdout and f"{len(DEMO_SEEDS)} unchanged" in again.stdout

    listing = cli("threads")
    assert "Café Zürich Closes After 62 Years" in listing.stdout


def test_export_then_parse_gives_the_same_thread(cli, tmp_path):
    assert cli("import", str(DEMO_SEEDS[0])).returncode == 0
    exported = cli("export", "1")
    assert exported.returncode == 0
    assert parse_thread(exported.stdout) == parse_thread(DEMO_SEEDS[0].read_text(encoding="utf-8"))


def test_preview_shows_authors_quotes_and_replies_in_order(cli):
    seed = next(p for p in DEMO_SEEDS if "lighthouse" in p.name)
    result = cli("preview", str(seed))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Lighthouse Keepers' Logbooks" in out and "Written by Tomás Ferreira" in out
    order = [out.index(name) for name in ("Fiona Moir-Hastings", "weather_nerd_1987", "Jürgen Weiß", "李明")]
    assert order == sorted(order)
    assert "↪ replying to weather_nerd_1987 (#3)" in out
    assert "▌ she really was extraordinary" in out
    assert "not verified · Jan 9, 2026 10:05 AM" in out


def test_run_terminal_without_a_token_imports_seeds_previews_and_explains(cli, tmp_path):
    result = cli("run", "--seeds", str(ROOT / "seeds"), "--terminal", "--pace", "0")
    assert result.returncode == 0, result.stderr
    assert f"seeds: {len(DEMO_SEEDS)} new" in result.stdout
    assert "Replay preview" in result.stdout and "Gus 'the Rook' Malone" in result.stdout
    assert "DISCORD_TOKEN" in result.stdout and ".env.example" in result.stdout


def test_db_status_and_migrate(cli):
    latest = available()[-1]
    migrated = cli("db", "migrate").stdout
    assert "applied 0001_threads" in migrated and f"applied {latest.version:04d}_{latest.name}" in migrated
    status = cli("db", "status")
    assert f"schema version: {latest.version}" in status.stdout and "0001_threads: applied" in status.stdout
    assert "applied" not in cli("db", "migrate").stdout.replace("is at schema", "")


# -- untrusted text never becomes markup or a control sequence in the terminal ---------------------------------

HOSTILE = ["[/]", "[bold red]", "[link=https://evil.example]x[/link]", "\x1b[31m", "\x1b[2J", "\x1b]8;;https://evil"
           ".example\x07click\x1b]8;;\x07", "\x9b2J", "\x9d0;title\x9c", "\x07", "\r", "\b", "\x00", "\x7f",
           "\u202e", "\u2066", ":smile:", "**", "\\", "\t", "[", "]", "@everyone", "needle"]
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=4)), min_size=1, max_size=6).map("".join)


@st.composite
def hostile_threads(draw) -> Thread:
    def line(text: str) -> str:
        return text.replace("\n", " ")

    authors = draw(st.lists(hostile_text.map(line), min_size=1, max_size=3))
    bodies = draw(st.lists(hostile_text.map(lambda t: t.replace("\n\n", "\n") + " needle"), min_size=1, max_size=4))
    comments = tuple(Comment(i + 1, authors[i % len(authors)], i % 2 == 0, None, i if i else None,
                             authors[(i - 1) % len(authors)] if i else None, "mention" if i else None,
                             (Block(text, False),)) for i, text in enumerate(bodies))
    return Thread(draw(hostile_text.map(line)), draw(st.none() | hostile_text.map(line)),
                  tuple(draw(st.lists(hostile_text, min_size=1, max_size=2))), comments)


@given(thread=hostile_threads())
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_hostile_titles_names_and_comments_print_literally_and_without_control_characters(thread, monkeypatch):
    from bot.cli.common import err, out
    from bot.cli.terminal import one_line
    from db.store import Store

    monkeypatch.setattr(out, "width", 2_000)  # no wrapping: the title must appear whole
    monkeypatch.setattr(err, "width", 2_000)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "db.sqlite3"

        async def store_it():
            async with Store.opened(db) as store:
                await store.import_thread(thread, source_key="k", sha256="s", source_path="hostile.txt", slug="h")

        asyncio.run(store_it())
        file = Path(tmp) / "hostile.txt"
        file.write_text(export_thread(thread), encoding="utf-8")
        runner = CliRunner()
        env = {"RETHREAD_DB": str(db), "DISCORD_TOKEN": ""}
        for args in (["threads"], ["show", "1"], ["search", "needle"], ["preview", "1"], ["parse", str(file)],
                     ["parse", str(file), "--json"], ["preview", str(file)]):
            result = runner.invoke(main, args, env=env)
            shown = result.stdout + result.stderr
            assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
            assert result.exit_code == 0 or (result.exit_code == 1 and len(result.stderr.splitlines()) == 1), args
            assert not UNSAFE.search(shown), (args, [c for c in shown if UNSAFE.match(c)])
            flat = "".join(shown.split())
            if args in (["threads"], ["show", "1"]):  # brackets shown as themselves, not read as markup
                assert "".join(one_line(thread.title).split()) in flat, args
            if args == ["search", "needle"]:
                assert "".join(one_line(thread.comments[0].author).split()) in flat


def test_a_title_with_rich_markup_lists_as_itself(cli, tmp_path):
    (tmp_path / "markup.txt").write_text("Closing tag [/] and [bold]not bold[/bold] \x1b[2Jhere\n\nBody.\n")
    assert cli("import", "markup.txt").returncode == 0
    listing = cli("threads")
    assert listing.returncode == 0, listing.stderr
    assert "Closing tag [/] and [bold]not bold[/bold] here" in listing.stdout and "\x1b" not in listing.stdout


@pytest.mark.parametrize("pace", ["inf", "nan", "-1", "3601"])
def test_a_pace_out_of_range_is_a_one_line_error(cli, pace):
    result = cli("preview", str(DEMO_SEEDS[0]), "--pace", pace)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "Invalid value for '--pace'" in result.stderr


def test_threads_lists_a_page_of_plain_lines_and_says_how_to_see_more(cli):
    assert cli("import", str(ROOT / "seeds")).returncode == 0
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
    first = cli("threads", "--limit", "2")
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0] == "ID  Comments  Rev  Imported              Title"
    assert re.fullmatch(rf" 1        10    1  {stamp}  Café Zürich Closes After 62 Years as Regulars Say Goodbye",
                        lines[1]), lines[1]
    assert re.fullmatch(rf" 2        10    1  {stamp}  Lighthouse Keepers' Logbooks Fill a Gap in 1890s Weather"
                        " Records", lines[2]), lines[2]
    assert len(lines) == 3
    assert first.stderr.strip() == "page 1 of 2 (3 threads, 2 a page); --page 2 for more; --limit 0 for all"
    last = cli("threads", "--limit", "2", "--page", "9")  # past the end: the last page
    assert [line.split("  ")[-1] for line in last.stdout.splitlines()] == [
        "Title", "Town Council Votes to Turn Old Rail Depot Into a Night Market"]
    assert last.stderr.strip() == "page 2 of 2 (3 threads, 2 a page); --limit 0 for all"
    everything = cli("threads", "--limit", "0")
    assert len(everything.stdout.splitlines()) == 4 and everything.stderr == ""
