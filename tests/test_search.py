"""Finding threads and comments: search takes what people type (never a syntax error, in the store, the CLI and
Discord), substrings of CJK text, caseless and accent-less titles, and /thread list, info and search fitted to
Discord's limits from SQL summaries."""

from __future__ import annotations

import asyncio
import tempfile
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.core.model import Block, Comment, Thread
from bot.core.parser import load_thread_file
from bot.importer import import_loaded
from db.folding import SUBSTRING_GLOB, fold, needs_substring
from db.migrate import available
from db.search import SearchSyntaxError, parse_query
from db.store import Store
from tests.conftest import DEMO_SEEDS

TYPED = ["it's", '"', "AND", "NEAR(", "-Putin", "*", "OR", "NOT strudel", "strudel*", "author:x", "(", ")", "^",
         'the "night market', "a:b:c", "+", "{x}", "col : strudel", '""', "NEAR(a b, 3)", "\x00", "\\", "'", "@"]


async def seeded(store: Store) -> Store:
    for path in DEMO_SEEDS:
        await import_loaded(store, load_thread_file(path))
    return store


def thread(title: str, *texts: str, authors: tuple[str, ...] = ("Ann",)) -> Thread:
    comments = tuple(Comment(i + 1, authors[i % len(authors)], True, None, None, None, None, (Block(text),))
                     for i, text in enumerate(texts))
    return Thread(title, None, ("The article.",), comments)


async def add(store: Store, key: str, value: Thread):
    return await store.import_thread(value, source_key=key, sha256=key, source_path=key, slug=key)


# -- what people type --------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", TYPED)
async def test_what_people_type_is_never_a_syntax_error(store, query):
    await seeded(store)
    results = await store.search_comments(query)
    assert results.total >= len(results.hits)


async def test_words_are_words_and_quoted_phrases_are_phrases(store):
    await add(store, "a", thread("Market day", "the night market opens", "market at night, it's late"))
    assert (await store.search_comments("night market")).total == 2  # both words, any order
    assert [h.number for h in (await store.search_comments('"night market"')).hits] == [1]  # the phrase
    assert [h.number for h in (await store.search_comments("it's")).hits] == [2]
    assert (await store.search_comments("AND")).total == 0  # a word, not an operator
    assert (await store.search_comments("mark*")).total == 2  # a trailing star is a prefix
    assert (await store.search_comments("*")).total == 0 and parse_query("* - \" ( )") == []


async def test_advanced_mode_is_fts5_and_its_errors_are_one_exception(store):
    await seeded(store)
    assert (await store.search_comments("strudel OR lighthouse", advanced=True)).total >= 2
    for bad in ('"', "NEAR(", "AND", "strudel AND"):
        with pytest.raises(SearchSyntaxError):
            await store.search_comments(bad, advanced=True)


@given(query=st.text(max_size=60))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_text_is_a_search_that_answers(query):
    async def run():
        with tempfile.TemporaryDirectory() as tmp:
            async with Store.opened(Path(tmp) / "db.sqlite3") as store:
                await add(store, "a", thread("T", "Grüße aus 北京大学 — it's 10:30, \"ok\" (really) AND more"))
                results = await store.search_comments(query)
                assert 0 <= len(results.hits) <= results.total
                for hit in results.hits:
                    assert "\n" not in hit.text and "**" not in hit.text

    asyncio.run(run())


async def test_cjk_text_is_found_by_any_substring(store):
    await add(store, "zh", thread("中文", "我们在北京大学学习", "东京は晴れです", "서울에서 만나요", "ภาษาไทยง่าย"))
    await add(store, "en", thread("English", "no cjk here at all"))
    for query, numbers in [("北京", [1]), ("北京大学", [1]), ("学学", [1]), ("京", [1, 2]), ("晴れ", [2]),
                           ("서울", [3]), ("울에서", [3]), ("ไทย", [4]), ("北京 大学", [1]), ('"大学学习"', [1]),
                           ("北京 here", []), ("上海", [])]:
        results = await store.search_comments(query)
        assert sorted(h.number for h in results.hits) == numbers, query
        for hit in results.hits:
            assert any(highlighted for _, highlighted in hit.snippet), query


def test_the_trigger_and_python_agree_on_which_text_needs_substrings():
    assert SUBSTRING_GLOB in next(m.sql for m in available() if m.version == 4)
    assert needs_substring("北京") and needs_substring("ひらがな") and not needs_substring("Café Zürich")


async def test_search_covers_current_revisions_only(store):
    await add(store, "a", thread("T", "old wording"))
    await store.import_thread(thread("T", "new wording"), source_key="a", sha256="b", source_path="a")
    assert [h.text for h in (await store.search_comments("wording")).hits] == ["new wording"]


# -- titles ------------------------------------------------------------------------------------------------


async def test_titles_match_without_case_or_accents(store):
    titles = ["L'ÉTÉ À PARIS", "Die Straße am Fluss", "Café Zürich", "ﬁnancial news", "ＦＵＬＬ width"]
    for i, title in enumerate(titles):
        await add(store, str(i), thread(title))
    street = "Die Straße am Fluss"
    for query, expected in [("été", "L'ÉTÉ À PARIS"), ("ete paris", "L'ÉTÉ À PARIS"), ("strasse", street),
                            ("STRASSE", street), ("straße", street),
                            ("cafe", "Café Zürich"), ("CAFÉ zurich", "Café Zürich"), ("financial", "ﬁnancial news"),
                            ("full", "ＦＵＬＬ width")]:
        assert [t.title for t in await store.find_threads(query)] == [expected], query


WORDS = st.text(st.characters(categories=["Lu", "Ll", "Lt", "Lo"]), min_size=1, max_size=8)


@given(words=st.lists(WORDS, min_size=1, max_size=4), pick=st.integers(0, 3), form=st.sampled_from(
    ["upper", "lower", "casefold", "NFD", "NFKC", "title"]))
def test_a_title_is_found_by_any_of_its_words_in_any_case_or_normal_form(words, pick, form):
    title = " ".join(words)
    word = words[pick % len(words)]
    typed = getattr(word, form)() if form in ("upper", "lower", "casefold", "title") else (
        unicodedata.normalize(form, word))
    if not fold(typed).strip():
        return

    async def run():
        with tempfile.TemporaryDirectory() as tmp:
            async with Store.opened(Path(tmp) / "db.sqlite3") as store:
                await add(store, "a", thread(title))
                await add(store, "b", thread("0 1 2"))  # no letters: never matches
                assert [t.title for t in await store.find_threads(typed)] == [title]

    asyncio.run(run())


# -- the CLI -----------------------------------------------------------------------------------------------


@pytest.fixture
def cli_db(tmp_path):
    path = tmp_path / "cli.sqlite3"

    async def fill():
        async with Store.opened(path) as store:
            await seeded(store)
            await add(store, "zh", thread("中文", "我们在北京大学学习"))

    asyncio.run(fill())

    def run(*args: str):
        return CliRunner().invoke(main, list(args), env={"RETHREAD_DB": str(path), "DISCORD_TOKEN": ""})

    return run


@pytest.mark.parametrize("query", TYPED)
def test_cli_search_takes_what_people_type(cli_db, query):
    result = cli_db("search", query)
    assert result.exit_code == 0, (result.output, result.exception)
    assert "fts5" not in result.output and "syntax error" not in result.output


def test_cli_search_prints_one_hit_per_line_highlighted_as_styles_not_stars(cli_db):
    result = cli_db("search", "the", "--limit", "5")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "comments match" in lines[0] and "(showing 5)" in lines[0]
    assert len(lines) == 6 and all(line.startswith("thread ") for line in lines[1:])
    assert "**" not in result.stdout
    assert "北京大学" in cli_db("search", "北京").stdout


def test_cli_search_limit_must_be_positive_and_fts_mode_reports_bad_queries_in_one_line(cli_db):
    for limit in ("0", "-3"):
        result = cli_db("search", "the", "--limit", limit)
        assert result.exit_code == 2 and "--limit" in result.stderr
    assert cli_db("search", "strudel OR lighthouse", "--fts").exit_code == 0
    bad = cli_db("search", "NEAR(", "--fts")
    assert bad.exit_code == 1 and isinstance(bad.exception, SystemExit)
    assert bad.stderr.startswith("error: not a valid FTS5 query") and len(bad.stderr.splitlines()) == 1


# -- Discord -----------------------------------------------------------------------------------------------


def embed_sizes_fit(embed) -> None:
    assert len(embed.title or "") <= 256
    assert len(embed.description or "") <= 4096
    assert len(embed.fields) <= 25
    for field in embed.fields:
        assert len(field.name) <= 256 and len(field.value) <= 1024
    assert len(embed.footer.text or "") <= 2048
    assert len(embed) <= 6000


@given(query=st.text(min_size=1, max_size=200))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
async def test_thread_search_answers_any_text_within_discords_limits(world, query):
    result = await world.slash("thread search", query=query)
    assert result.ephemeral
    if result.response.embeds:
        (page,) = result.response.embeds
        embed_sizes_fit(page)
        assert " match" in page.title and page.footer.text.startswith("Page 1 of ")
    else:
        content = result.response.content
        assert 0 < len(content) <= 2000 and "Something went wrong" not in content
        assert content.startswith(("No comment matches", "“"))


async def test_thread_search_says_how_many_matched_and_bolds_the_matches(world):
    result = await world.slash("thread search", query="strudel")
    (page,) = result.response.embeds
    assert page.title == "2 comments match “strudel”"
    lines = page.description.splitlines()
    assert len(lines) == 2 and all("**strudel**" in line for line in lines)
    assert page.footer.text == "Page 1 of 1 · showing 2 of 2"
    many = await world.slash("thread search", query="the")
    (first,) = many.response.embeds
    embed_sizes_fit(first)
    assert len(first.description.splitlines()) == 10 and first.footer.text == "Page 1 of 3 · showing 26 of 26"


async def test_thread_search_pages_turn_with_buttons_for_the_member_who_asked(world):
    many = await world.slash("thread search", query="the")
    message = many.response  # the answer as the member sees it, updated by each click
    first = message.embeds[0].description
    assert [c["label"] for row in message.components for c in row["components"]] == ["Previous", "Next"]
    await world.member.click(message, label="Next")
    assert message.embeds[0].footer.text == "Page 2 of 3 · showing 26 of 26"
    assert message.embeds[0].description != first
    await world.member.click(message, label="Previous")
    assert message.embeds[0].description == first and message.embeds[0].footer.text.startswith("Page 1 of 3")


async def test_thread_search_results_fit_and_show_text_literally(world):
    store = world.env.bot.store
    hostile = "**bold** [link](https://evil.example) @everyone <@123> ~~x~~ needle " + "long " * 600
    await add(store, "h", thread("Hostile", *[hostile] * 12, authors=("x** [a](https://evil.example)",)))
    result = await world.slash("thread search", query="needle")
    page = result.response.embeds[0]
    embed_sizes_fit(page)
    assert page.title == "12 comments match “needle”" and page.footer.text.startswith("Page 1 of 2")
    text = page.description
    assert "[link](" not in text.replace("\\[link\\](", "") and "@everyone" not in text
    assert "**needle**" in text


async def test_thread_info_reads_summaries_and_fits_a_300_character_title(world, monkeypatch):
    store = world.env.bot.store
    title = "Über " + "a very long title " * 20
    authors = tuple(f"Author {'x' * 150} {i}" for i in range(7))
    await add(store, "big", thread(title, *[f"comment {i}" for i in range(40)], authors=authors))

    async def no_whole_threads(*args, **kwargs):
        raise AssertionError("/thread info must not load the whole thread")

    monkeypatch.setattr(store, "load_thread", no_whole_threads)
    result = await world.slash("thread info", thread="uber very long")
    embed = result.response.embeds[0]
    embed_sizes_fit(embed)
    assert embed.title.startswith("Über a very long title") and embed.title.endswith("…")
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Comments"] == "40 (0 replies)" and fields["Commenters"] == "7"
    assert len(fields["Most active"].splitlines()) == 5


async def test_thread_list_reads_one_page_and_fits_4096_characters(world, monkeypatch):
    store = world.env.bot.store
    for i in range(40):
        await add(store, f"t{i}", thread(f"{i} " + "a rather long title with *stars* and [brackets] " * 8))
    read = []
    original = store.thread_page

    async def counted(*args, **kwargs):
        total, page, rows = await original(*args, **kwargs)
        read.append(len(rows))
        return total, page, rows

    monkeypatch.setattr(store, "thread_page", counted)
    first = (await world.slash("thread list")).response.embeds[0]
    embed_sizes_fit(first)
    assert first.title == "43 threads" and first.footer.text.startswith("Page 1 of 3")
    assert read == [20], "only one page of threads is read"
    last = (await world.slash("thread list", page=3)).response.embeds[0]
    embed_sizes_fit(last)
    assert last.description.count("\n") == 2 and last.footer.text.startswith("Page 3 of 3")
    beyond = (await world.slash("thread list", page=9)).response.embeds[0]  # past the end: the last page
    assert beyond.description == last.description and beyond.footer.text.startswith("Page 3 of 3")
