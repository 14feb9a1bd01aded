"""Search: the FTS5 index against a plain scan of generated decks (hypothesis), the filters,
the index kept in step with deck edits, and the command's output."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import helpers as h
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dlcards.catalog import deck_files, files_signature, load_catalog
from dlcards.cli import app
from dlcards.deck import Card
from dlcards.errors import UsageError
from dlcards.search import highlight_spans, parse, snippet
from dlcards.store import Store
from dlcards.store.rows import search_fields
from dlcards.store.search import search_sql

runner = CliRunner()
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
TODAY = date(2026, 6, 1)
VOCAB = ["grad", "gradient", "gradients", "rate", "rated", "momentum", "loss", "lossy",
         "sigmoid", "relu", "x1", "x12", "adam", "step"]  # fmt: skip
QUERY_WORDS = [*VOCAB, "gra", "los", "mom", "x", "zzz", "re"]
TAGS = ["math", "core", "interview", "x1"]


# --- the plain scan: what a query means, written from the search's documented rules -------------


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def term_matches(card: Card, words: tuple[str, ...]) -> bool:
    fields = [card.question, card.answer, card.erratum or "", card.note or "", " ".join(card.tags)]
    n = len(words)
    for field in fields:
        toks = words_of(field)
        for i in range(len(toks) - n + 1):
            if toks[i : i + n - 1] == list(words[:-1]) and toks[i + n - 1].startswith(words[-1]):
                return True
    return False


def scan(
    cards: list[Card],
    terms: list[tuple[tuple[str, ...], bool]],
    topic: str | None,
    tag: tuple[str, bool] | None,
    graded: dict[str, int],
    suspended: set[str],
    is_filter: str | None,
) -> list[str]:
    found = []
    for card in cards:
        if any(term_matches(card, words) == negated for words, negated in terms):
            continue
        if topic is not None and card.topic != topic:
            continue
        if tag is not None and (tag[0] in card.tags) == tag[1]:
            continue
        if is_filter == "new" and card.id in graded:
            continue
        if is_filter == "review" and card.id not in graded:
            continue
        if is_filter == "suspended" and card.id not in suspended:
            continue
        if is_filter == "lapsed" and graded.get(card.id, 0) < 1:
            continue
        found.append(card.id)
    return found


# --- generated decks ---------------------------------------------------------------------------

sentence = st.lists(st.sampled_from(VOCAB), min_size=1, max_size=6).map(" ".join)
card_st = st.fixed_dictionaries(
    {
        "question": sentence,
        "answer": sentence,
        "tags": st.lists(st.sampled_from(TAGS), unique=True),
    },
    optional={"erratum": sentence, "note": sentence},
)
decks_st = st.lists(st.lists(card_st, min_size=1, max_size=8), min_size=1, max_size=3)
term_st = st.tuples(
    st.lists(st.sampled_from(QUERY_WORDS), min_size=1, max_size=2).map(tuple), st.booleans()
)
query_st = st.tuples(
    st.lists(term_st, max_size=3),
    st.one_of(st.none(), st.sampled_from(["t0", "t1", "t2"])),
    st.one_of(st.none(), st.tuples(st.sampled_from(TAGS), st.booleans())),
    st.one_of(st.none(), st.sampled_from(["new", "review", "suspended", "lapsed"])),
)


def write_decks(root: Path, decks: list[list[dict[str, object]]]) -> None:
    root.mkdir(parents=True)
    for t, cards in enumerate(decks):
        data = {
            "topic": f"t{t}",
            "title": f"Topic {t}",
            "cards": [{"id": f"t{t}-{i}", **c} for i, c in enumerate(cards)],
        }
        (root / f"t{t}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


def query_text(
    terms: list[tuple[tuple[str, ...], bool]],
    topic: str | None,
    tag: tuple[str, bool] | None,
    is_filter: str | None,
) -> str:
    parts = [
        ("-" if neg else "") + (f'"{" ".join(w)}"' if len(w) > 1 else w[0]) for w, neg in terms
    ]
    if topic:
        parts.append(f"topic:{topic}")
    if tag:
        parts.append(("-" if tag[1] else "") + f"tag:{tag[0]}")
    if is_filter == "lapsed":
        parts.append("prop:lapses>=1")
    elif is_filter:
        parts.append(f"is:{is_filter}")
    return " ".join(parts)


counter = itertools.count()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(decks=decks_st, queries=st.lists(query_st, min_size=1, max_size=6), data=st.data())
def test_the_index_finds_what_a_plain_scan_finds(
    tmp_path: Path,
    new_db: Callable[[Path], Path],
    decks: list[list[dict[str, object]]],
    queries: list,
    data: st.DataObject,
) -> None:
    root = tmp_path / f"run{next(counter)}"
    write_decks(root / "decks", decks)
    catalog = load_catalog([root / "decks"])  # the built-in decks from the test's cache
    mine = [c for c in catalog.cards if re.fullmatch(r"t\d+", c.topic)]
    with Store.open(new_db(root / "p.db")) as store:
        store.sync(catalog.cards, files_signature(deck_files([root / "decks"])), NOW)
        ids = [c.id for c in mine]
        graded: dict[str, int] = {}
        for cid in data.draw(st.lists(st.sampled_from(ids), unique=True, max_size=4)):
            h.grade(store, cid, 5, TODAY - timedelta(10))
            lapses = data.draw(st.integers(0, 1))
            if lapses:
                h.grade(store, cid, 0, TODAY - timedelta(5))
            graded[cid] = lapses
        suspended = set(data.draw(st.lists(st.sampled_from(ids), unique=True, max_size=3)))
        store.set_suspended(sorted(suspended), True)
        for terms, topic, tag, is_filter in queries:
            text = query_text(terms, topic, tag, is_filter)
            expected = scan(mine, terms, topic, tag, graded, suspended, is_filter)
            if topic is None:  # the built-in decks are searched too: keep to the generated ones
                text += " topic:t*"
            got = [hit.id for hit in store.search(parse(text), TODAY, "sm2")[0]]
            assert sorted(got) == sorted(expected), text
            if not any(not neg for _, neg in terms):  # no words to rank by: deck order
                assert got == [c for c in ids if c in set(got)]
        # `or`, groups and `-(...)`: the union and the complement of what the scan finds

        def everywhere(text: str) -> set[str]:
            return {hit.id for hit in store.search(parse(text), TODAY, "sm2")[0]}

        found = [
            (text, set(scan(mine, *q[:3], graded, suspended, q[3])))
            for q in queries
            if (text := query_text(*q))
        ]
        for (one, first), (other, second) in zip(found, found[1:], strict=False):
            for text, expected in (
                (f"(({one}) OR ({other})) topic:t*", first | second),
                (f"-({one}) topic:t*", set(ids) - first),
                # `or` binds looser than "and": the first conjunction in t*, or the other
                # anywhere (the built-in decks too: searched flat, as the loop above checks)
                (f"topic:t* {one} or {other}", first | everywhere(other)),
            ):
                got_ids = {hit.id for hit in store.search(parse(text), TODAY, "sm2")[0]}
                assert got_ids == expected, text


def search_one_deck(tmp_path: Path, cards: list[dict[str, object]], query: str) -> list[Any]:
    """The hits of `query` in a database synced with one deck of `cards` (topic t0)."""
    write_decks(tmp_path / "decks", [cards])
    catalog = load_catalog([tmp_path / "decks"], use_cache=False)
    with Store.open(tmp_path / "p.db") as store:
        store.sync(catalog.cards, files_signature(deck_files([tmp_path / "decks"])), NOW)
        return store.search(parse(query), TODAY, "sm2")[0]


def test_ranked_best_first(tmp_path: Path) -> None:
    cards: list[dict[str, object]] = [
        {"question": "step", "answer": "loss"},
        {"question": "momentum momentum momentum", "answer": "momentum"},
        {"question": "relu", "answer": "momentum"},
    ]
    hits = search_one_deck(tmp_path, cards, "momentum topic:t0")
    assert [x.id for x in hits] == ["t0-1", "t0-2"]
    assert hits[0].rank is not None and hits[1].rank is not None
    assert hits[0].rank < hits[1].rank  # bm25: lower is better


def test_the_index_follows_deck_edits_and_retired_cards(tmp_path: Path) -> None:
    decks = tmp_path / "decks"
    write_decks(decks, [[{"question": "relu", "answer": "step", "tags": ["core"]}]])

    def sync_and_find(store: Store, text: str) -> list[str]:
        catalog = load_catalog([decks])
        store.sync(catalog.cards, files_signature(deck_files([decks])), NOW)
        # what `dlcards search` shows: the index's text of each card is the deck's, as synced
        ids = [card.id for card in catalog.cards]
        assert store.search_texts(ids) == {c.id: search_fields(c) for c in catalog.cards}
        return [x.id for x in store.search(parse(text + " topic:t*"), TODAY, "sm2")[0]]

    with Store.open(tmp_path / "p.db") as store:
        assert sync_and_find(store, "relu") == ["t0-0"]
        assert sync_and_find(store, "tag:core") == ["t0-0"]
        text = (decks / "t0.yaml").read_text()
        (decks / "t0.yaml").write_text(text.replace("relu", "sigmoid").replace("core", "math"))
        os.utime(decks / "t0.yaml", ns=(1, 10**18))
        assert sync_and_find(store, "relu") == []
        assert sync_and_find(store, "sigmoid") == ["t0-0"]
        assert (
            sync_and_find(store, "tag:math") == ["t0-0"] and sync_and_find(store, "tag:core") == []
        )
        (decks / "t0.yaml").write_text(text.replace("t0-0", "t0-9"))
        os.utime(decks / "t0.yaml", ns=(1, 2 * 10**18))
        assert sync_and_find(store, "relu") == ["t0-9"]  # the retired id is not found


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("is:nwe", "unknown is:nwe (did you mean 'new'?)"),
        ("prop:lapse>3", "unknown property 'lapse' (did you mean 'lapses'?)"),
        ("prop:lapses", "not a property test"),
        ("tag:", "needs a value"),
        ("tag:nc:", "'tag:nc:' needs a value"),  # was the untagged cards (Anki: none)
        ("resched:1", "Anki's resched: is not searched here"),  # as words, it found nothing
        ("rated:x", "'rated:x': rated: takes a whole number of days, e.g. rated:1 (today)"),
        ("added:-1", "'added:-1': added: takes a whole number of days"),
        ("rated:7:5", "the answer button is 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy), not '5'"),
        (
            "a:b",
            "unknown field 'a:'; dlcards searches deck:, topic:, tag:, is:, prop:, nc:, w:, "
            "rated:, introduced:, added: and edited: (for the text itself, escape the colon: "
            "a\\:b)",
        ),
        ("tpoic:gd", "unknown field 'tpoic:' (did you mean 'topic'?)"),
        ('"momentum', "a quote is not closed"),
        ('"', "a quote is not closed"),
        ("(momentum or adam", "a '(' is not closed"),
        ("momentum)", "a ')' has no '(' before it"),
        ("momentum or", "'or' needs a term on each side"),
        ("OR", "'or' needs a term on each side"),
        ("()", "'()' holds nothing to search for"),
    ],
)
def test_bad_filters_are_one_line(query: str, message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        parse(query)
    result = runner.invoke(app, ["search", query])
    assert result.exit_code != 0 and message in result.output


def test_a_snippet_shows_the_first_field_that_matches() -> None:
    long = "alpha " * 30 + "the momentum term " + "beta " * 30
    shown = snippet([("answer", "no match here"), ("note", long)], ["momentum"])
    assert shown is not None and shown.startswith("note: …") and shown.endswith("…")
    assert "the momentum term" in shown and len(shown) < 120
    assert snippet([("answer", "nothing")], ["momentum"]) is None


@pytest.mark.parametrize("width", [5, 12, 19, 25, 40])
def test_a_snippet_keeps_its_words_whole(width: int) -> None:
    """At 60 columns `search momentum` showed gd-36's note as `…Momentum (backprop-2…`: a
    window with no space between the match and its end was cut inside a word (and at its
    start, with none before the match). Each end is now at a space, outwards if need be."""
    note = "Plain GD zigzags or diverges. Momentum (backprop-26) is the usual fix."
    for text, word in [(note, "momentum"), ("x" * 40 + " q-momentum (backprop-26) y", "momentum")]:
        shown = snippet([("note", text)], [word], width)
        assert shown is not None and word in shown.lower()
        words = text.split()
        for piece in shown.removeprefix("note: ").strip("…").split():
            assert piece in words, (width, shown)


def test_highlight_marks_the_words_a_query_word_starts() -> None:
    text = "Gradient descent; gradients, a grad step"
    spans = highlight_spans(text, parse("grad").words)
    assert [text[a:b] for a, b in spans] == ["Gradient", "gradients", "grad"]
    assert highlight_spans(text, parse("-grad").words) == []


# --- the command -------------------------------------------------------------------------------


def test_search_command_lines_start_with_the_id() -> None:
    out = runner.invoke(app, ["search", "momentum", "-n", "5"])
    assert out.exit_code == 0, out.output
    lines = [x for x in out.output.splitlines() if x and not x.startswith(" ")]
    assert lines[-1].endswith("match") or "match" in lines[-1]
    for line in lines[:-1]:
        assert re.match(r"^[a-z0-9][a-z0-9_.-]*  +[a-z]", line), line
    data = json.loads(runner.invoke(app, ["search", "momentum", "--json"]).output)
    assert data["total"] == len(data["cards"]) >= 1
    few = json.loads(runner.invoke(app, ["search", "gradient", "--json", "-n", "2"]).output)
    many = json.loads(runner.invoke(app, ["search", "gradient", "--json", "-n", "500"]).output)
    assert few["total"] == many["total"] == len(many["cards"]) > 2
    assert [c["id"] for c in few["cards"]] == [c["id"] for c in many["cards"][:2]]
    for card in data["cards"]:
        shown = card["question"] + " " + (card["snippet"] or "")
        assert "momentum" in shown.lower()
        if card["snippet"]:  # the field where the word is, when not in the question
            assert card["snippet"].split(":")[0] in ("answer", "erratum", "note", "tags")


def test_search_shows_the_index_text_without_loading_the_decks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The lines come from the index (a deck's cards are not loaded for them); --json adds
    each card's deck file and line, which only the decks know; more ids than one statement
    takes are read in parts."""
    import dlcards.catalog

    data = json.loads(runner.invoke(app, ["search", "gradient", "--json", "-n", "300"]).output)
    catalog = load_catalog(())
    for row in data["cards"]:
        card = catalog.card(row["id"])
        assert (row["file"], row["line"]) == (card.file, card.line)
    shown = runner.invoke(app, ["search", "gradient", "-n", "300"]).output
    monkeypatch.setattr(dlcards.catalog.Catalog, "card", lambda *a: pytest.fail("loaded"))
    assert runner.invoke(app, ["search", "gradient", "-n", "300"]).output == shown
    with Store.open(Path(os.environ["DLCARDS_DB"])) as store:
        ids = [card.id for card in catalog.cards]
        texts = store.search_texts([*ids, *(f"none-{n}" for n in range(600))])
    assert texts == {card.id: search_fields(card) for card in catalog.cards}


def test_a_minus_word_is_not_an_option_and_filters_combine() -> None:
    everything = json.loads(
        runner.invoke(app, ["search", "topic:gd", "--json", "-n", "999"]).output
    )
    without = json.loads(
        runner.invoke(app, ["search", "topic:gd", "-gradient", "--json", "-n", "999"]).output
    )
    assert 0 < without["total"] < everything["total"]
    assert all("gradient" not in c["question"].lower() for c in without["cards"])


def test_study_and_quiz_take_the_same_query() -> None:
    found = json.loads(runner.invoke(app, ["search", "momentum", "is:new", "--json"]).output)
    ids = [c["id"] for c in found["cards"]]
    assert ids
    out = runner.invoke(
        app, ["study", "--search", "momentum is:new", "--today", "2026-11-26"],
        input="\n5\n" * (len(ids) + 1) + "q\n",
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert sorted(re.findall(r"saved: ([a-z0-9-]+): ", out.output)) == sorted(ids)
    quiz = runner.invoke(
        app, ["quiz", "--search", "momentum", "--seed", "1", "-n", "3"], input="q\n"
    )
    assert quiz.exit_code == 0, quiz.output
    none = runner.invoke(app, ["quiz", "--search", "zzzqqq"], input="q\n")
    assert "found none" in none.output


def test_study_and_quiz_take_a_deck_search() -> None:
    """`deck:` names a topic's deck by its title (as in Anki) or its topic, in `study
    --search` and `quiz --search` as in `search`."""
    vgp = [card.id for card in load_catalog().select(["vgp"])]
    due = runner.invoke(
        app,
        ["study", "--search", 'deck:"Deep Learning::Vanishing*"', "--today", "2026-11-26",
         "--new", str(len(vgp))],
        input="\n5\n" * len(vgp) + "q\n",
    )  # fmt: skip
    assert due.exit_code == 0, due.output
    assert sorted(re.findall(r"saved: ([a-z0-9-]+): ", due.output)) == sorted(vgp)
    quiz = runner.invoke(app, ["quiz", "--search", "deck:gd", "--seed", "1", "-n", "2"],
                         input="\n\nq\n")  # fmt: skip
    assert quiz.exit_code == 0, quiz.output
    shown = set(re.findall(r"\b([a-z]+)-\d+\b", quiz.output))
    assert shown == {"gd"}, quiz.output
    refused = runner.invoke(app, ["study", "--search", "deck:current"], input="q\n")
    assert refused.exit_code == 2 and "dlcards has none" in refused.output


def _anki_deck_regex(pattern: str) -> re.Pattern[str]:
    """Anki's `to_re` and `write_deck` (rslib/src/text.rs, search/sqlwriter.rs), written out
    apart from dlcards's code: `*` is `.*`, `_` is `.`, `\\*` and `\\_` themselves, `::`
    the separator, the whole name or a child of it, in any case."""
    out, at = [], 0
    while at < len(pattern):
        c = pattern[at]
        if c == "\\" and at + 1 < len(pattern):
            out.append(re.escape(pattern[at + 1]))
            at += 2
            continue
        out.append(".*" if c == "*" else "." if c == "_" else re.escape(c))
        at += 1
    return re.compile("(?i)^" + "".join(out).replace("::", "\x1f") + "($|\x1f)")


@given(
    titles=st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9_-]{0,6}", fullmatch=True),
        st.text(st.sampled_from("ab_:*Éé xY"), min_size=1, max_size=8).filter(str.strip),
        min_size=1, max_size=5,
    ),
    pattern=st.text(st.sampled_from("ab_:*Éé xY"), min_size=1, max_size=8),
)  # fmt: skip
@settings(max_examples=300)
@pytest.mark.no_files
def test_a_deck_search_names_the_topics_whose_anki_deck_or_topic_matches(
    titles: dict[str, str], pattern: str
) -> None:
    from dlcards.deck import anki_deck_name
    from dlcards.search import resolve_decks

    quoted = '"' + pattern.replace("\\", "\\\\") + '"'
    if pattern.strip() in ("", "*", "filtered", "current") or pattern != pattern.strip():
        return
    query = resolve_decks(parse(f"deck:{quoted}"), titles)
    [found] = query.filters
    assert found.kind == "topics"
    regex = _anki_deck_regex(pattern)
    slug = re.compile(regex.pattern.removeprefix("(?i)^").removesuffix("($|\x1f)"), re.I)
    expected = sorted(
        topic for topic, title in titles.items()
        if regex.match(anki_deck_name(title).replace("::", "\x1f")) or slug.fullmatch(topic)
    )  # fmt: skip
    assert found.value.split() == expected


@pytest.mark.parametrize(
    "query",
    ["(" * 400 + "grad" + ")" * 400, "(" * 2000 + "grad", "-(" * 2000 + "grad",
     "(" * 65 + "grad" + ")" * 65],
)  # fmt: skip
def test_groups_nested_past_the_parts_limit_are_one_line(query: str) -> None:
    """A torture run: 330 nested parentheses were a RecursionError's traceback (the reader
    recursed into each group before counting the parts), in search, study --search and quiz
    --search; 100 were counted as '101 parts (words, phrases, filters)'."""
    commands = (["search", "--", query], ["study", "--search", query], ["quiz", "--search", query])
    for args in commands:
        result = runner.invoke(app, args, input="q\n")
        assert result.exit_code == 2, (args, result.output[-300:])
        assert result.output == (
            "error: search: the query has more than 64 parts (words, phrases, filters and groups "
            "in parentheses); at most 64 are searched at once\n"
        ), result.output[-300:]


@pytest.mark.parametrize("key", ["tag", "-tag", "topic", "deck", "nc", "prop"])
def test_a_value_longer_than_any_name_is_refused_as_the_querys(key: str) -> None:
    """A torture run: `tag:` with 60,000 characters said 'error: database ...: LIKE or GLOB
    pattern too complex' (SQLite's limit on a pattern), blaming a sound file; `topic:`
    printed all 60,000 characters back."""
    result = runner.invoke(app, ["search", f"{key}:" + "a*" * 30_000])
    assert result.exit_code == 2, result.output[-300:]
    assert result.output == (
        f"error: search: '{key.lstrip('-')}:' takes a value of at most 1,000 characters, not "
        "60,000\n"
    )
    assert runner.invoke(app, ["search", f"{key}:" + "a" * 1000]).exit_code in (0, 2)


@pytest.mark.no_files
def test_a_deck_search_with_many_stars_is_answered_at_once() -> None:
    """`deck:*a*a*a...z` was a backtracking regular expression: on a 60-character deck name,
    30 stars are some 10^17 ways to try (the command never ended). Matched star by star, it
    answers, and as Anki does: a name ending in az (a title's own :: is one colon, no child),
    and with a parent that matches, all its children."""
    from dlcards.search import resolve_decks

    titles = {"long": "a" * 60, "ends": "a" * 40 + "z", "colon": "a" * 31 + "::z"}
    [found] = resolve_decks(parse("deck:" + "*a" * 30 + "z"), titles).filters
    assert found.value.split() == ["ends"]
    [parent] = resolve_decks(parse("deck:" + "*e" * 3 + "*n*g"), titles).filters
    assert parent.value.split() == ["colon", "ends", "long"]


@pytest.mark.no_files
def test_a_deck_search_is_resolved_inside_groups_and_refuses_what_has_no_meaning_here() -> None:
    from dlcards.search import Filter, Group, resolve_decks

    titles = {"gd": "Gradient Descent", "vgp": "Vanishing Gradient Problem", "mlp": "MLP"}
    tree = resolve_decks(parse("momentum (deck:*gradient* or -deck:mlp)"), titles).tree
    assert tree is not None
    inner = tree.items[1]
    assert isinstance(inner, Group)
    assert inner.items == (Filter("topics", "gd\nvgp"), Filter("topics", "mlp", negated=True))
    assert parse("deck:*").filters == (Filter("all", ""),)
    assert parse("deck:filtered").filters == (Filter("none", ""),)
    for query, said in (("deck:", "needs a value"), ("deck:current", "dlcards has none")):
        with pytest.raises(UsageError, match=said):
            parse(query)


def test_quiz_on_a_search_reads_only_the_decks_it_found_cards_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Self-graded questions are picked among the found cards (in deck order, as every other
    way of choosing gives them) and read the decks of the picked cards and no other; a tag
    or topic still narrows them, and an unknown tag is still the error."""
    import dlcards.catalog
    import dlcards.quiz

    found = json.loads(runner.invoke(app, ["search", "momentum", "--json", "-n", "99"]).output)
    topics = {c["topic"] for c in found["cards"]}
    assert 0 < len(topics) < 9
    loaded: list[str] = []
    real_deck, real_pick = dlcards.catalog.Catalog.deck, dlcards.quiz.pick
    chosen: list[list[str]] = []
    picked: list[list[str]] = []

    def deck(self: dlcards.catalog.Catalog, topic: str) -> object:
        loaded.append(topic)
        return real_deck(self, topic)

    def pick(ids: list[str], *args: object) -> list[str]:
        chosen.append(list(ids))
        picked.append(real_pick(ids, *args))  # type: ignore[arg-type]
        return picked[-1]

    monkeypatch.setattr(dlcards.catalog.Catalog, "deck", deck)
    monkeypatch.setattr(dlcards.quiz, "pick", pick)
    quiz = runner.invoke(app, ["quiz", "--search", "momentum", "-n", "2"], input="q\n")
    assert quiz.exit_code == 0, quiz.output
    catalog = load_catalog()
    assert set(loaded) == {catalog.topic_of(cid) for cid in picked[-1]} and set(loaded) <= topics
    ids = {c["id"] for c in found["cards"]}
    assert chosen == [[c.id for c in catalog.select() if c.id in ids]]
    narrowed = runner.invoke(app, ["quiz", "--search", "momentum", "--topic", "gd"], input="q\n")
    assert narrowed.exit_code == 0
    assert chosen[-1] == [c.id for c in catalog.select(["gd"]) if c.id in ids]
    unknown = runner.invoke(app, ["quiz", "--search", "momentum", "--tag", "nope"], input="q\n")
    assert unknown.exit_code != 0 and "unknown tag 'nope'" in unknown.output


@pytest.mark.fresh_db  # a first run: no default database or cache yet
def test_a_version_6_database_is_indexed_and_its_leeches_marked(isolated: Path) -> None:
    import sqlite3

    from sqlite_utils import Database

    from dlcards.store.schema import migrations

    path = Path(os.environ["DLCARDS_DB"])
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    migrations().apply(Database(conn), stop_before="0007_leech_marks")
    conn.execute("PRAGMA user_version = 6")
    conn.execute(
        "INSERT INTO cards (id, topic, position, content_hash, retired, suspended, added)"
        " VALUES ('gd-23', 'gd', 0, 'h', 0, 0, '2026-01-01')"
    )
    conn.execute(
        "INSERT INTO sm2 (card_id, ef, repetitions, interval, lapses, due, last_review) "
        "VALUES ('gd-23', 130, 0, 1, 9, '2026-11-20', '2026-11-19')"
    )
    conn.execute("INSERT INTO meta (key, value) VALUES ('deck_signature', 'synced before')")
    conn.close()
    found = json.loads(runner.invoke(app, ["search", "updates per epoch", "--json"]).output)
    assert "gd-23" in [c["id"] for c in found["cards"]]
    leeches = json.loads(runner.invoke(app, ["list", "--leeches", "--json"]).output)
    assert [(x["id"], x["lapses"], x["suspended"]) for x in leeches] == [("gd-23", 9, False)]


def test_a_card_back_in_the_decks_is_found_again(tmp_path: Path) -> None:
    decks = tmp_path / "decks"
    write_decks(decks, [[{"question": "relu", "answer": "step"}]])
    original = (decks / "t0.yaml").read_text()
    with Store.open(tmp_path / "p.db") as store:
        for n, text in enumerate([original, original.replace("t0-0", "t0-5"), original]):
            (decks / "t0.yaml").write_text(text)
            os.utime(decks / "t0.yaml", ns=(1, (n + 1) * 10**18))
            catalog = load_catalog([decks])
            store.sync(catalog.cards, files_signature(deck_files([decks])), NOW)
        hits, total = store.search(parse("relu topic:t0"), TODAY, "sm2")
        assert [x.id for x in hits] == ["t0-0"] and total == 1


@pytest.mark.parametrize(
    ("width", "topics"),
    [(60, False), (80, False), (100, True), (120, True), (160, True), (None, True)],
)  # None: a pipe
def test_search_columns_line_up(
    monkeypatch: pytest.MonkeyPatch, width: int | None, topics: bool
) -> None:
    """`search gradient` printed `id  topic  question` with two spaces whatever the id's
    length, so the questions started anywhere (issue 12): every question starts in one
    column, and a snippet's `↳` two columns before it. The topic column, which only repeats
    each built-in id's prefix, is left out on a terminal where the questions would get
    fewer than 60 columns beside it (at 60 `backprop-26  backprop  What is the intuition
    behind…`: cut at ~30 characters); a pipe keeps every column (scripts read them)."""
    from rich.cells import cell_len

    from dlcards.console import out

    if width is not None:
        monkeypatch.setenv("TTY_COMPATIBLE", "1")
        monkeypatch.setenv("TERM", "dumb")
        monkeypatch.setenv("COLUMNS", str(width))
        monkeypatch.setenv("LINES", "24")
    out.cache_clear()
    for query in ("gradient", "momentum"):
        found = json.loads(runner.invoke(app, ["search", query, "--json"]).output)["cards"]
        expected = {card["id"]: card for card in found}
        result = runner.invoke(app, ["search", query])
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        lines = lines[: next(i for i, line in enumerate(lines) if " match" in line)]
        cards = [line for line in lines if not line.startswith(" ")]
        snippets = [line for line in lines if line.startswith(" ")]
        assert len(cards) > 1 and all(line.strip().startswith("↳") for line in snippets)
        ids = [line.split()[0] for line in cards]
        assert ids == list(expected)
        column = max(len(card_id) for card_id in ids) + 2
        if topics:
            assert [line.split()[1] for line in cards] == [expected[i]["topic"] for i in ids]
            column += max(len(expected[i]["topic"]) for i in ids) + 2  # the topic column
        for card_id, line in zip(ids, cards, strict=True):
            assert line[column - 2 : column] == "  " and line[column] != " ", (column, line)
            question, shown = expected[card_id]["question"], line[column:]
            assert shown == question or (
                width is not None and shown.endswith("…") and question.startswith(shown[:-1])
            ), (shown, question)
        for line in snippets:
            assert line.index("↳") == column - 2, (column, line)
        if width is not None:
            assert max(cell_len(line) for line in lines) <= width
            # a snippet cut to the line still shows the word it is there for
            for line in snippets:
                assert query in line.lower(), line
        else:
            assert not any(line.endswith("…") for line in cards)  # whole lines for grep
    assert snippets  # momentum matches a note


def test_search_keeps_the_topic_column_of_ids_that_do_not_name_their_topic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A learner's own deck names its cards as it likes (`q1` in `mydeck`): its topic is said
    nowhere else on the line, so at 60 columns the column stays, where the built-in decks'
    (`backprop` beside `backprop-26`) goes."""
    from dlcards.console import out

    decks = tmp_path / "decks"
    decks.mkdir()
    question = "What does the momentum term add to each step of plain gradient descent?"
    deck = {
        "topic": "mydeck",
        "title": "My deck",
        "cards": [{"id": f"q{n}", "question": question, "answer": "velocity"} for n in (1, 2)],
    }
    (decks / "mydeck.yaml").write_text(yaml.safe_dump(deck, sort_keys=False))
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("COLUMNS", "60")
    monkeypatch.setenv("LINES", "24")
    out.cache_clear()
    result = runner.invoke(app, ["search", "momentum", "--decks", str(decks)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    mine = [line for line in lines if line.startswith("q")]
    assert [line.split()[:2] for line in mine] == [["q1", "mydeck"], ["q2", "mydeck"]], lines
    built_in = [line for line in lines if line.startswith("backprop-26 ")]
    # shown with a card of its own deck, each keeps its column: the rule is for every row
    assert [line.split()[1] for line in built_in] == ["backprop"], lines
    assert all(len(line) <= 60 for line in lines), lines
    result = runner.invoke(app, ["search", "momentum"])  # the built-in decks alone: none
    assert "backprop-26  What is" in result.output, result.output


@pytest.mark.parametrize("width", [30, 40, 42])
def test_search_on_a_narrow_terminal_puts_each_question_whole_under_its_id(
    monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    """At 40 columns the questions' column was 25 wide and each question was cut to a few
    words (`What is the intuition…`). Too narrow for a column of 30 (beside the ids alone,
    the topic column left out: from 43 columns here), each card is its id and topic on a
    line, its question under them, wrapped between words, whole; its snippet under that,
    with the word it is there for."""
    from dlcards.console import out

    expected = json.loads(runner.invoke(app, ["search", "momentum", "--json"]).output)["cards"]
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("LINES", "24")
    out.cache_clear()
    result = runner.invoke(app, ["search", "momentum"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(len(line) <= width for line in lines), lines
    heads = [i for i, line in enumerate(lines) if line and not line.startswith(" ")]
    cards = [(lines[a], lines[a + 1 : b]) for a, b in zip(heads, heads[1:], strict=False)]
    assert len(cards) == len(expected)
    for (head, body), row in zip(cards, expected, strict=True):
        assert head == f"{row['id']}  {row['topic']}"
        question = [line for line in body if not line.lstrip().startswith("↳")]
        assert all(line.startswith("  ") and line[2] != " " for line in question), body
        assert " ".join(line.strip() for line in question) == row["question"]
        snippet = [line for line in body if line.lstrip().startswith("↳")]
        assert len(snippet) == (1 if row["snippet"] else 0), body
        assert all(line.startswith("  ↳ ") and "momentum" in line.lower() for line in snippet)


@pytest.mark.parametrize("width", range(44, 100, 4))
def test_a_snippet_cut_to_the_terminal_keeps_its_match(
    monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    """At 60 columns `search momentum` showed gd-36's note as "…η it overshoots or
    diverges.…": the snippet was centred for 90 columns, then cut before "Momentum"."""
    from dlcards.console import out

    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("LINES", "24")
    out.cache_clear()
    for query in ("momentum", "dropout", "decay"):
        result = runner.invoke(app, ["search", query])
        assert result.exit_code == 0, result.output
        snippets = [line for line in result.output.splitlines() if line.lstrip().startswith("↳")]
        assert snippets, result.output
        for line in snippets:
            assert query in line.lower(), (width, line)


@pytest.mark.parametrize(
    ("typo", "said"),
    [
        ("--ids", "(`dlcards search --help` lists its options; -word excludes a word; after `--` "
         "every word is the query's)"),
        ("--limt=3", ": did you mean --limit?"),
        ("--jsn", ": did you mean --json?"),
    ],
)  # fmt: skip
def test_an_unknown_option_is_an_error_not_a_word(typo: str, said: str) -> None:
    """`-word` is a query term (unknown short options are let through for it); a mistyped long
    option is not a word to search for, and says so rather than changing the results."""
    result = runner.invoke(app, ["search", "gradient", typo])
    assert result.exit_code == 2
    name = typo.partition("=")[0]
    sep = "" if said.startswith(":") else " "
    assert result.output.strip().splitlines() == [
        f"error: dlcards search has no option {name}{sep}{said}"
    ]


def test_after_dashes_every_word_is_the_querys() -> None:
    """Torture run: `dlcards search -- --momentum` said "no such option: --momentum": click
    drops the `--`, and the word after it was taken for a mistyped option. After `--` every
    word is the query's, read as Anki reads it (`--momentum`, like `-momentum`, excludes the
    word), options included (`-- --json` is two words, not JSON); before it, a mistyped
    option is still an error."""

    def ids(*args: str) -> list[str]:
        result = runner.invoke(app, ["search", "--limit", "300", "--json", *args])
        assert result.exit_code == 0, result.output
        return [card["id"] for card in json.loads(result.output)["cards"]]

    with_momentum = set(ids("momentum"))
    every = set(ids("*"))
    assert with_momentum and with_momentum < every
    assert set(ids("--", "--momentum")) == every - with_momentum
    assert ids("--", "--momentum") == ids("--", "-momentum")
    assert ids("gradient", "--", "--momentum") == ids("--", "gradient", "-momentum")
    # `--json` after `--` is a word excluded (the output is JSON by the option before it)
    assert set(ids("--", "momentum", "--json")) <= with_momentum
    result = runner.invoke(app, ["search", "--", "momentum", "--json"])
    assert result.exit_code == 0 and not result.output.startswith("{"), result.output
    typo = runner.invoke(app, ["search", "--momentum", "--", "gradient"])
    assert typo.exit_code == 2 and typo.output.startswith(
        "error: dlcards search has no option --momentum"
    )
    # the installed command (its fast path's rearranging of the words) reads it the same
    shell = subprocess.run(
        [sys.executable, "-m", "dlcards", "search", "--limit", "300", "--json", "--", "--momentum"],
        capture_output=True,
        text=True,
    )
    assert shell.returncode == 0, shell.stderr
    assert [card["id"] for card in json.loads(shell.stdout)["cards"]] == ids("--", "-momentum")


@pytest.mark.parametrize("query", ["-", "?", "-!!", "gradient —", "tag:math +"])
def test_a_part_with_no_word_is_an_error_not_every_card(query: str) -> None:
    """A part the index cannot search (punctuation alone) was dropped from the query, so `-`
    alone listed every card; it is one line naming it."""
    part = query.split()[-1]
    said = f"search: '{part}' has no word to search for"
    with pytest.raises(UsageError, match=re.escape(said)):
        parse(query)
    result = runner.invoke(app, ["search", "--", query])
    assert result.exit_code == 2 and said in result.output


def test_a_query_of_more_than_64_parts_is_refused_at_once() -> None:
    """Each part is a condition of one SQL query whose cost grows with the square of their
    number (4,000 words took 10 s): more than MAX_PARTS is one line, not a long wait."""
    from typer.testing import CliRunner

    from dlcards.cli import app
    from dlcards.search import MAX_PARTS

    runner = CliRunner()
    result = runner.invoke(app, ["search", " ".join(["gradient"] * (MAX_PARTS + 1))])
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert f"the query has {MAX_PARTS + 1} parts" in result.output
    result = runner.invoke(app, ["search", " ".join(["gradient"] * MAX_PARTS)])
    assert result.exit_code == 0, result.output


def test_or_and_groups_read_as_in_anki() -> None:
    """`momentum or adam` searched for the word "or" too, and found nothing; parentheses were
    dropped. Now `or` joins, binding looser than the implicit "and", and groups nest."""
    from dlcards.search import Filter, Group, Term

    def term(word: str, negated: bool = False) -> Term:
        return Term((word,), negated)

    assert parse("momentum or adam").tree == Group("or", (term("momentum"), term("adam")))
    assert parse("(momentum OR adam)").tree == parse("momentum or adam").tree
    assert parse("a or b c").tree == Group("or", (term("a"), Group("and", (term("b"), term("c")))))
    assert parse("-(a b)").tree == Group("and", (term("a"), term("b")), negated=True)
    assert parse("tag:math (a or -b)").tree == Group(
        "and", (Filter("tag", "math"), Group("or", (term("a"), term("b", True))))
    )
    # what stays a flat query: `and`, a group of one, `f(x)`, `-(word)`
    for text, words in (("a and b", ["a", "b"]), ("(a)", ["a"]), ("f(x)", ["f", "x"])):
        flat = parse(text)
        assert flat.tree is None and flat.words == words, text
    assert parse("-(a)").terms == (term("a", True),)
    assert parse('"or"').words == ["or"]  # the word itself, quoted
    assert parse("a or -(b or c)").words == ["a"]  # what highlighting marks


@pytest.fixture
def graded_store(tmp_path: Path) -> Iterator[Store]:
    """The built-in decks, four gd cards graded five days before TODAY (due since)."""
    catalog = load_catalog()
    with Store.open(tmp_path / "p.db") as store:
        store.sync(catalog.cards, "sig", NOW)
        for card_id in ("gd-1", "gd-2", "gd-3", "gd-4"):
            h.grade(store, card_id, 4, TODAY - timedelta(5))
        yield store


def test_is_due_leaves_suspended_cards_out(graded_store: Store) -> None:
    """`is:due` listed suspended cards that `due` and `study --search is:due` leave out."""
    store = graded_store
    due = {h.id for h in store.search(parse("is:due"), TODAY, "sm2")[0]}
    assert due
    held = sorted(due)[:2]
    store.set_suspended(held, True)
    after = {h.id for h in store.search(parse("is:due"), TODAY, "sm2")[0]}
    assert after == due - set(held)
    both = {h.id for h in store.search(parse("is:due is:suspended"), TODAY, "sm2")[0]}
    assert both == set()
    assert set(held) <= {h.id for h in store.search(parse("-is:due"), TODAY, "sm2")[0]}


def test_prop_reps_counts_the_answers_since_the_last_reset(graded_store: Store) -> None:
    """`prop:reps` was SM-2's streak of passes (a card answered 10 times, its last answer a
    failure, had reps 0); in Anki it is how many times the card was answered."""
    store = graded_store
    (card_id,) = [h.id for h in store.search(parse("is:new"), TODAY, "sm2", 1)[0]]
    for days, grade in ((9, 5), (8, 5), (7, 1)):
        h.grade(store, card_id, grade, TODAY - timedelta(days))
    hits = {h.id for h in store.search(parse("prop:reps=3"), TODAY, "sm2")[0]}
    assert card_id in hits
    assert card_id not in {h.id for h in store.search(parse("prop:reps=0"), TODAY, "sm2")[0]}
    assert store.answer_counts([card_id, "gd-1"]) == {card_id: 3, "gd-1": 1}
    store.reset([card_id])  # as Anki's "reset repetition and lapse counts": from 0 again
    assert card_id in {h.id for h in store.search(parse("prop:reps=0"), TODAY, "sm2")[0]}
    assert store.answer_counts([card_id]) == {card_id: 0}


def test_a_span_of_days_counts_study_days_from_the_day_searched() -> None:
    """`added:N` through the command: the cards synced now came today (N=1 is today, 0 too),
    and seen from the next study day (`--today`) they came yesterday (`added:2`), as `rated:`
    and `introduced:` count the log's days."""
    from dlcards.days import local_study_day

    today = local_study_day()
    tomorrow = (today + timedelta(1)).isoformat()
    for day, query, found in (
        (today.isoformat(), "added:1", True),
        (today.isoformat(), "added:0", True),
        (tomorrow, "added:1", False),
        (tomorrow, "added:2", True),
        (today.isoformat(), "rated:1", False),
    ):
        result = runner.invoke(app, ["search", "--today", day, f"{query} topic:gd"])
        assert result.exit_code == 0, result.output
        assert ("No card matches" not in result.output) == found, (day, query, result.output)


def test_a_past_day_searched_has_not_seen_the_answers_and_cards_after_it() -> None:
    """From a past `--today`, `rated:` and `introduced:` counted the answers logged after it
    too (their span had no end), and `added:`/`edited:` the cards synced after it: `rated:1`
    on 11-02 found a card first answered on 11-05. What came after that day has not happened
    yet, as `due` and `stats` read a past day."""
    db = ["--db", os.environ["DLCARDS_DB"]]
    assert runner.invoke(app, ["config", "new_per_day", "1", *db]).exit_code == 0
    # 11-02: perceptron-1, new; 11-05: perceptron-1 again (due since 11-03), then perceptron-2
    for day, keys in (("2026-11-02", "\n4\nq\n"), ("2026-11-05", "\n4\n\n4\nq\n")):
        studied = runner.invoke(app, ["study", "--today", day, *db], input=keys)
        assert studied.exit_code == 0, studied.output

    def found(day: str, query: str) -> list[str]:
        result = runner.invoke(app, ["search", "--today", day, "--json", query, *db])
        assert result.exit_code == 0, result.output
        return sorted(hit["id"] for hit in json.loads(result.output)["cards"])

    first, second = "perceptron-1", "perceptron-2"
    assert found("2026-11-05", "rated:1") == [first, second]  # (the log, as studied)
    assert found("2026-11-02", "rated:1") == [first]
    assert found("2026-11-02", "rated:1:3") == [first]
    assert found("2026-11-04", "rated:30") == [first]
    assert found("2026-11-04", "introduced:30") == [first]
    assert found("2026-11-05", "introduced:1") == [second]
    assert found("2026-11-01", "rated:3650") == found("2026-11-01", "introduced:3650") == []
    # the cards were synced today (the machine's study day): a day before it saw none added
    from dlcards.days import local_study_day

    today = local_study_day()
    assert found((today - timedelta(days=1)).isoformat(), "added:3650 topic:gd") == []
    assert len(found(today.isoformat(), "added:1 topic:gd")) > 0


@pytest.mark.parametrize("scheduler", ["sm2", "fsrs"])
def test_a_past_day_searched_reads_the_study_state_of_that_day(scheduler: str) -> None:
    """From a past `--today`, `is:` and `prop:` read the cards' state now: on 11-03, between
    perceptron-1's answers of 11-02 and 11-05, `is:due` did not find it where `due --today
    2026-11-03` counts it, and perceptron-2, first answered on 11-05, was not `is:new`. They
    read the state as of the day, the one `due`, `stats` and `show` read."""
    db = ["--db", os.environ["DLCARDS_DB"]]
    assert runner.invoke(app, ["config", "new_per_day", "1", *db]).exit_code == 0
    # 11-02: perceptron-1, new; 11-05: perceptron-1 again (due since 11-03), then perceptron-2
    for day, keys in (("2026-11-02", "\n4\nq\n"), ("2026-11-05", "\n4\n\n4\nq\n")):
        studied = runner.invoke(app, ["study", "--today", day, *db], input=keys)
        assert studied.exit_code == 0, studied.output
    if scheduler == "fsrs":
        assert runner.invoke(app, ["config", "scheduler", "fsrs", *db]).exit_code == 0

    def found(day: str, query: str) -> list[str]:
        result = runner.invoke(app, ["search", "--today", day, "--json", query, *db])
        assert result.exit_code == 0, result.output
        return sorted(hit["id"] for hit in json.loads(result.output)["cards"])

    first, second = "perceptron-1", "perceptron-2"
    assert found("2026-11-03", "is:review") == [first]
    assert second in found("2026-11-03", "is:new topic:perceptron")
    assert first not in found("2026-11-03", "is:new topic:perceptron")
    assert found("2026-11-03", "prop:reps=1") == [first]
    assert found("2026-11-01", "is:review") == []
    assert found("2026-11-05", "is:review") == [first, second]  # (no later review: now)
    if scheduler == "sm2":  # a day after its first Good (FSRS: a few days)
        assert found("2026-11-03", "is:due") == found("2026-11-03", "prop:due=0") == [first]
        assert found("2026-11-03", "prop:ivl=1 prop:lapses=0 prop:ease=2.5") == [first]
    with Store.open(Path(db[1])) as store:  # what `due` reads, day by day
        for day in (date(2026, 11, d) for d in range(1, 7)):
            due = set(store.due_ids(day, scheduler))
            assert set(found(day.isoformat(), "is:due")) == due, day
            assert found(day.isoformat(), "-is:due is:review") == sorted(
                {first, second} - due - set(found(day.isoformat(), "is:new"))
            ), day


def test_a_past_days_prop_reps_counts_a_re_drill_left_first_after_a_reset(
    graded_store: Store,
) -> None:
    """A card failed, its re-drill asked for, then the failed grade undone: the re-drill stays
    one, and is the card's first answer (from a new card). Graded again five days on, and
    later: as of a day between, a card never reset had 2 answers (`prop:reps=2`), and one
    reset before the failed grade had 1: its answers were counted from its first scheduled
    grade that started from a new card, which left out the re-drill the reset came before."""
    store = graded_store
    fresh, reset_too = [h.id for h in store.search(parse("is:new"), TODAY, "sm2", 2)[0]]
    h.grade(store, reset_too, 4, TODAY - timedelta(30))
    store.reset([reset_too], NOW)
    for card_id in (fresh, reset_too):
        failed = h.grade(store, card_id, 1, TODAY - timedelta(20), now=NOW + timedelta(1))
        h.grade(store, card_id, 4, TODAY - timedelta(20), NOW + timedelta(1), redrill=True)
        h.undo(store, failed.id)
        for days in (15, 5):
            h.grade(store, card_id, 4, TODAY - timedelta(days), now=NOW + timedelta(2))
    then = TODAY - timedelta(10)
    twice = {hit.id for hit in store.search(parse("prop:reps=2"), then, "sm2")[0]}
    assert {fresh, reset_too} <= twice


def test_a_past_day_before_a_reset_counts_the_answers_given_by_then() -> None:
    """`prop:reps` from a past `--today` counted the answers up to that day after the card's
    reset point now: perceptron-1, answered on 11-02 and 11-05 and reset since, had 0 answers
    on 11-03, where `is:review` (as `show`, `due` and `stats`) sees it answered on 11-02. The
    answers are counted since the card last started new before its next review."""
    db = ["--db", os.environ["DLCARDS_DB"]]
    assert runner.invoke(app, ["config", "new_per_day", "1", *db]).exit_code == 0
    for day in ("2026-11-02", "2026-11-05"):
        studied = runner.invoke(app, ["study", "--today", day, *db], input="\n4\nq\n")
        assert studied.exit_code == 0 and "perceptron-1" in studied.output, studied.output
    assert runner.invoke(app, ["reset", "perceptron-1", "--yes", *db]).exit_code == 0

    def found(day: str, query: str) -> list[str]:
        result = runner.invoke(app, ["search", "--today", day, "--json", query, *db])
        assert result.exit_code == 0, result.output
        return sorted(hit["id"] for hit in json.loads(result.output)["cards"])

    shown = runner.invoke(app, ["show", "perceptron-1", "--today", "2026-11-03", "--json", *db])
    assert json.loads(shown.output)["state"]["last_review"] == "2026-11-02"
    first = ["perceptron-1"]
    assert found("2026-11-03", "is:review") == first
    assert found("2026-11-03", "prop:reps=1") == first
    assert "perceptron-1" not in found("2026-11-03", "prop:reps=0")
    assert found("2026-11-01", "prop:reps=0 topic:perceptron")[:1] == first  # not answered yet
    assert "perceptron-1" in found("2026-11-05", "prop:reps=0")  # now: reset, not answered since


def test_a_card_graded_on_a_past_day_keeps_its_fsrs_interval_then() -> None:
    """Under FSRS, a card graded in a `study --today` of a past day after its later review (a
    re-drill: it is not due again that day, and `due` and `is:due` read its next review's day,
    `reports.due_as_of`) had `prop:ivl` from that day: 4 days (11-01 to 11-05), where `show
    --today` and `stats` give the interval its state then has."""
    db = ["--db", os.environ["DLCARDS_DB"]]
    for key, value in (("new_per_day", "1"), ("scheduler", "fsrs")):
        assert runner.invoke(app, ["config", key, value, *db]).exit_code == 0
    for day in ("2026-11-01", "2026-11-05", "2026-11-03"):  # the last a past day
        studied = runner.invoke(app, ["study", "--today", day, "--new", "1", *db], input="\n4\nq\n")
        assert studied.exit_code == 0 and "perceptron-1" in studied.output, studied.output
    then = ["--today", "2026-11-03", "--json", *db]
    shown = json.loads(runner.invoke(app, ["show", "perceptron-1", *then]).output)["state"]
    from dlcards.fsrs_sched import replay

    want = replay([(date(2026, 11, 1), 4)], 0.9)  # 11-01's Good alone, by FSRS directly
    assert want.due is not None
    interval = (want.due - date(2026, 11, 1)).days
    assert (shown["due"], shown["interval"]) == (want.due.isoformat(), interval)
    assert interval != 4

    def found(query: str) -> list[str]:
        result = runner.invoke(app, ["search", query, *then])
        assert result.exit_code == 0, result.output
        return sorted(hit["id"] for hit in json.loads(result.output)["cards"])

    assert found(f"prop:ivl={interval}") == ["perceptron-1"]
    assert found("prop:ivl=4") == []
    assert found("is:due") == []  # graded that day: not due again (as `due` counts)


@pytest.mark.parametrize(
    "query", ["straße", "Straße", "maße", "İstanbul", "istanbul", "résumé", "re\u0301sume\u0301"]
)
def test_a_word_is_folded_as_the_index_folds_it(tmp_path: Path, query: str) -> None:
    """`straße` found nothing: the query was casefolded (ß -> ss, İ -> i + a dot), which the
    index (unicode61) never holds, and a decomposed accent split `résumé` into `re sume`."""
    cards: list[dict[str, object]] = [
        {"question": "Was ist die Straße des Gradienten?", "answer": "Eine Maße."},
        {"question": "İstanbul", "answer": "résumé"},
    ]
    assert len(search_one_deck(tmp_path, cards, query + " topic:t0")) == 1, query


def test_a_search_naming_a_topic_or_tag_no_deck_has_says_so() -> None:
    """A helper's UX run: `search tag:nope` and `search topic:nope` said "No card matches" and
    exited 0, where `list --tag nope` said the tag is unknown (exit 2). A known one that
    matches nothing here, and a pattern, are still "no card matches"."""
    from typer.testing import CliRunner

    from dlcards.cli import app

    runner = CliRunner()
    for query, said in (("tag:nope", "unknown tag 'nope'"), ("topic:nope", "unknown topic")):
        result = runner.invoke(app, ["search", "momentum", query])
        assert result.exit_code == 2 and result.output.startswith(f"error: {said}"), result
        assert len(result.output.strip().splitlines()) == 1
    for query in ("tag:nope*", "topic:vgp zebra"):
        result = runner.invoke(app, ["search", *query.split()])
        assert result.exit_code == 0 and "No card matches" in result.output, result.output


def test_a_search_naming_a_topic_or_tag_no_deck_has_is_the_same_error_in_json() -> None:
    """`search tag:nope` said "unknown tag 'nope'" (exit 2) on a terminal and in a pipe, but
    `search tag:nope --json` printed `{"total": 0, "cards": []}` and exited 0: a script was
    told there was nothing, where `list --tag nope --json` and the text both say the tag is
    unknown. A known name that matches nothing is still an empty result."""
    import json

    from typer.testing import CliRunner

    from dlcards.cli import app

    runner = CliRunner()
    for query, said in (("tag:nope", "unknown tag 'nope'"), ("topic:nope", "unknown topic")):
        result = runner.invoke(app, ["search", "--json", "momentum", query])
        assert result.exit_code == 2, result.output
        assert result.output.startswith(f"error: {said}"), result.output
        assert len(result.output.strip().splitlines()) == 1
    empty = runner.invoke(app, ["search", "--json", "topic:vgp", "zebra"])
    assert empty.exit_code == 0 and json.loads(empty.output)["total"] == 0


def test_study_and_quiz_search_naming_a_topic_or_tag_no_deck_has_say_so() -> None:
    """`dlcards study --search tag:nope` said "No card matches the search 'tag:nope'; nothing
    to study." and `quiz --search tag:nope` "No cards to quiz on", both exit 0, where `search
    tag:nope` and `study --tag nope` say the tag is unknown (exit 2). A known name that
    matches nothing is still "no card matches"."""
    from typer.testing import CliRunner

    from dlcards.cli import app

    runner = CliRunner()
    for command in (["study"], ["quiz", "-n", "1"]):
        for query, said in (("tag:nope", "unknown tag 'nope'"), ("topic:nope", "unknown topic")):
            result = runner.invoke(app, [*command, "--search", f"momentum {query}"], input="")
            assert result.exit_code == 2, (command, result.output)
            assert result.output.startswith(f"error: {said}"), result.output
            assert len(result.output.strip().splitlines()) == 1
        none = runner.invoke(app, [*command, "--search", "topic:vgp zebra"], input="")
        assert none.exit_code == 0 and "zebra" in none.output, none.output


def test_no_match_names_the_query_as_typed() -> None:
    """`No card matches {text!r}` doubled each backslash (`'mo\\\\_'` for `mo\\_`) and rich
    read `[b]` in the query as markup and dropped it."""
    for query in ("zzzq\\_", "[b]zzzq[/b]"):
        result = runner.invoke(app, ["search", query])
        assert result.exit_code == 0
        assert result.output == f"No card matches '{query}'.\n", result.output


def test_a_search_finds_the_words_shown_not_the_decks_markup(tmp_path: Path) -> None:
    """The index held the deck's text: `search br`, `png`, `media` or `sound` found every
    card with a line break, an image or a sound, and the result showed no such word. It
    holds what the terminal shows in their place: a line, `[image: alt]`, `♪ media/x.mp3`."""
    folder = tmp_path / "decks"
    write_decks(
        folder,
        [
            [
                {
                    "question": "Look<br>here: ![a neuron](media/cell.png)",
                    "answer": "Listen [sound: media/bonjour.mp3]",
                },
                {"question": "A break in the sound", "answer": "png files"},
            ]
        ],
    )

    def found(query: str) -> list[str]:
        argv = ["search", query, "topic:t0", "--decks", str(folder), "--json"]
        result = CliRunner().invoke(app, argv)
        assert result.exit_code == 0, result.output
        return [row["id"] for row in json.loads(result.output)["cards"]]

    assert found("br") == ["t0-1"] and found("sound") == ["t0-1"] and found("png") == ["t0-1"]
    assert found("neuron") == ["t0-0"] and found("bonjour") == ["t0-0"]
    assert found("image") == ["t0-0"]  # the word on the screen
    shown = CliRunner().invoke(app, ["search", "neuron", "--decks", str(folder)]).output
    assert "Look here: [image: a neuron]" in shown


def test_a_code_blocks_hidden_label_is_not_searched(tmp_path: Path) -> None:
    """`search python` found a card whose answer is a block of code fenced ```python: the
    label no screen shows (nor the exported note). The code itself is searched."""
    folder = tmp_path / "decks"
    write_decks(
        folder,
        [
            [
                {"question": "What does it print?", "answer": "```python\nprint(6)\n```\nSix."},
                {"question": "Which language?", "answer": "Python: `print(6)`"},
            ]
        ],
    )

    def found(query: str) -> list[str]:
        argv = ["search", query, "topic:t0", "--decks", str(folder), "--json"]
        result = CliRunner().invoke(app, argv)
        assert result.exit_code == 0, result.output
        return sorted(row["id"] for row in json.loads(result.output)["cards"])

    assert found("python") == ["t0-1"]
    assert found("print") == ["t0-0", "t0-1"] and found("six") == ["t0-0"]


def test_an_entitys_name_is_not_searched(tmp_path: Path) -> None:
    """`search amp`, `lt` or `nbsp` found a card written `a &lt; b &amp; c&nbsp;d`, which
    shows `a < b & c d`: the index held the entities' names."""
    folder = tmp_path / "decks"
    write_decks(
        folder,
        [[{"question": "Which holds?", "answer": "a &lt; b &amp; c&nbsp;dd &mdash; eé"}]],
    )

    def found(query: str) -> list[str]:
        argv = ["search", query, "topic:t0", "--decks", str(folder), "--json"]
        result = CliRunner().invoke(app, argv)
        assert result.exit_code == 0, result.output
        return [row["id"] for row in json.loads(result.output)["cards"]]

    for hidden in ("amp", "lt", "nbsp", "mdash"):
        assert found(hidden) == [], hidden
    assert found("dd") == ["t0-0"] and found("ee") == ["t0-0"]


# (no `*` beside them: the lexer takes an image or a sound for a letter where a `*` flanks
# it, and `[image: ...]` starts with a bracket, so a `*` touching one may pair otherwise)
_SHOWN_PIECES = [
    "![a *b* \\] &amp; $c$](media/x.png)", "![](media/a%20b.png)", "[sound: media/s%2A.mp3]",
    "<br>", "<BR />", " ", "word", " *x* ", " **y** ", "$x$", "`c`", "`", "&amp;", "&lt;",
    "\\]", "5", "![x](y.png)", "[sound:z.mp3]", "!", "[", "]", "(", ")",
    "\n", "\n```python\n", "\n```\n", "``` py", "\n  ```c++ x\n",
    "&nbsp;", "&ampx", "&#x3c;", "&AMP;", "&lt;br&gt;", "&#42;", "&", "lt;", "<b", "r>", "&gt;",
]  # fmt: skip


@pytest.mark.no_files
@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_SHOWN_PIECES), max_size=12).map("".join))
@example("![<br>![a *b* \\] &amp; $c$](media/x.png)")  # no image spans a line break
@example("$x$5![a *b* \\] &amp; $c$](media/x.png)$x$")  # a `$` the alt's `$` left unpaired
def test_the_indexed_text_shows_as_the_decks(text: str) -> None:
    """What `search` shows of a card (its indexed text, rendered) is what the deck's text
    shows, whatever markup surrounds its images, sounds and line breaks."""
    from dlcards.render import to_plain
    from dlcards.store.rows import searchable

    assert to_plain(searchable(text)) == to_plain(text)


@pytest.mark.parametrize("command", ["search", "study", "quiz"])
@pytest.mark.parametrize(
    ("query", "shown", "matches"),
    [
        (b"tag:\xff", "tag:\\xff", False),
        (b"-tag:m\xff*", "-tag:m\\xff*", True),
        (b"topic:g\xff*", "topic:g\\xff*", False),
        (b"tag:nc:\xe9", "tag:nc:\\xe9", False),  # an é from a Latin-1 terminal
    ],
)
def test_a_tag_or_topic_with_bytes_that_are_not_utf8_matches_no_card(
    command: str, query: bytes, shown: str, matches: bool
) -> None:
    """A command-line byte that is not UTF-8 reaches Python as a lone surrogate, which SQLite
    cannot take as a parameter: `search 'tag:\\xff'` (and `study --search`, `quiz --search`)
    ended in a UnicodeEncodeError's traceback. Such a tag or topic names none (the decks are
    UTF-8), as `deck:` and `show` already took it; the query is said with the byte as \\xff
    (study and quiz said it with its backslash doubled)."""
    args = {
        "search": [b"search", query],
        "study": [b"study", b"--search", query, b"--today", b"2026-11-26"],
        "quiz": [b"quiz", b"--search", query, b"--count", b"1"],
    }[command]
    result = subprocess.run(
        [sys.executable.encode(), b"-m", b"dlcards", *args],
        input=b"",
        capture_output=True,
        env={**os.environ, "LC_ALL": "C.UTF-8"},
    )
    said = (result.stdout + result.stderr).decode("utf-8", "replace")
    assert "Traceback" not in said, said
    if matches:  # every card: a search of 220 cards lists them, a session or quiz starts
        assert result.returncode == 0, said
        assert "No card" not in said and "found none" not in said
        if command == "search":
            assert f"{len(load_catalog([]).cards)} cards match" in said
        return
    nothing = {
        "search": f"No card matches '{shown}'.",
        "study": f"No card matches the search '{shown}'; nothing to study.",
        "quiz": f"No cards to quiz on: the search '{shown}' found none.",
    }[command]
    assert said.strip().splitlines()[-1] == nothing, said


@pytest.mark.parametrize("command", ["study", "quiz", "list"])
def test_a_tag_option_with_bytes_that_are_not_utf8_is_an_unknown_tag(command: str) -> None:
    """`study --tag $'\\xff'` and `quiz --tag` looked the tag up in the store with a lone
    surrogate as a parameter: a UnicodeEncodeError's traceback (`list --tag` said it was
    unknown). Now each says the tag is unknown, in one line, exit 2."""
    result = subprocess.run(
        [sys.executable.encode(), b"-m", b"dlcards", command.encode(), b"--tag", b"m\xff"],
        input=b"",
        capture_output=True,
        env={**os.environ, "LC_ALL": "C.UTF-8"},
    )
    said = (result.stdout + result.stderr).decode("utf-8", "replace")
    assert result.returncode == 2, said
    (line,) = said.strip().splitlines()
    assert line.startswith("error: unknown tag 'm\\xff'; tags are: "), said


def test_a_search_reads_its_hits_and_their_flags_from_one_state_of_the_collection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`search` reads its hits, their text and their flags from one snapshot: a card another
    terminal unsuspends while `search is:suspended` reads is a hit marked suspended (as it was
    when the hits were read), never a hit of `is:suspended` shown as not suspended."""
    import sqlite3

    runner = CliRunner()
    assert runner.invoke(app, ["suspend", "gd-23", "gd-24"]).exit_code == 0
    db = os.environ["DLCARDS_DB"]
    connect, fired = sqlite3.connect, []

    def tracing(*args, **kwargs):  # type: ignore[no-untyped-def]
        conn = connect(*args, **kwargs)

        def trace(sql: str) -> None:  # (called as a statement starts)
            if "texts" not in fired and "card_search" in sql and "s.question" in sql:
                fired.append("texts")  # the hits read: another terminal unsuspends gd-23
                monkeypatch.setattr(sqlite3, "connect", connect)
                with Store.open(Path(db)) as other:
                    assert other.set_suspended(["gd-23"], False) == ["gd-23"]

        conn.set_trace_callback(trace)
        return conn

    monkeypatch.setattr(sqlite3, "connect", tracing)
    result = runner.invoke(app, ["search", "is:suspended", "--json"])
    assert result.exit_code == 0, result.output
    assert fired == ["texts"]  # the other terminal's write came while search read
    cards = {c["id"]: c["suspended"] for c in json.loads(result.output)["cards"]}
    assert cards == {"gd-23": True, "gd-24": True}


def test_the_leeches_are_read_by_their_own_index_not_a_walk_of_every_card(
    graded_store: Store,
) -> None:
    """`list --leeches` (`Store.leeches`) and `search is:leech` read the few leeches through
    their partial index (`cards_leech`, kept where `leech != 0`): written as `leech = 1`, both
    made SQLite walk every card by topic (100,000 cards: 16 ms for none)."""
    store = graded_store
    store.conn.execute("UPDATE cards SET leech = 1 WHERE id = 'gd-23'")
    ran: list[str] = []
    store.conn.set_trace_callback(ran.append)
    try:
        assert [x.id for x in store.leeches()] == ["gd-23"]
        hits, _ = store.search(parse("is:leech"), date(2026, 11, 26), "sm2")
        assert [hit.id for hit in hits] == ["gd-23"]
    finally:
        store.conn.set_trace_callback(None)
    reads = [sql for sql in ran if "leech" in sql and sql.lstrip().startswith("SELECT")]
    assert len(reads) == 2
    for sql in reads:
        plan = " ".join(row[3] for row in store.conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert "USING INDEX cards_leech" in plan and "cards_topic" not in plan, (sql, plan)


def test_the_suspended_are_read_by_their_own_index_not_a_walk_of_every_card(
    graded_store: Store,
) -> None:
    """`search is:suspended` reads the few suspended cards through the partial index kept for
    them (`cards_inactive`, where `retired != 0 OR suspended != 0`): written as
    `suspended = 1`, SQLite walked every card by topic (100,000 cards: 12 ms for none)."""
    store = graded_store
    store.conn.execute("UPDATE cards SET suspended = 1 WHERE id IN ('gd-23', 'gd-24')")
    day = date(2026, 11, 26)
    ran: list[str] = []
    store.conn.set_trace_callback(ran.append)
    try:
        hits, total = store.search(parse("is:suspended"), day, "sm2", 1)
        assert ([hit.id for hit in hits], total) == (["gd-23"], 2)
    finally:
        store.conn.set_trace_callback(None)
    _, others = store.search(parse("-is:suspended"), day, "sm2", 1)
    assert others == store.conn.execute("SELECT count(*) - 2 FROM cards").fetchone()[0]
    (sql,) = [sql for sql in ran if "suspended" in sql and sql.lstrip().startswith("SELECT")]
    plan = " ".join(row[3] for row in store.conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
    assert "INDEX cards_inactive" in plan and "cards_topic" not in plan, (sql, plan)


@pytest.mark.parametrize(
    "text",
    [
        "gradient OR loss",
        "(gradient OR loss) tag:math",
        "gradient OR is:due",
        "-(zzz OR qqq) loss",
        "(gradient loss) OR softmax",
    ],
)
def test_a_ranked_query_with_or_looks_each_match_up_once(graded_store: Store, text: str) -> None:
    """A query with `or` or groups ranks the cards that hold a found word by bm25. Written as
    `cards LEFT JOIN (the scored matches)`, SQLite chose to scan every scored match for each
    card (`SCAN m LEFT-JOIN` in its plan): `momentum OR gradient` at 100,000 cards, 60,000
    matches, ran for minutes. Each scored match now looks its card up by index, and the
    ranking is the one the single join gave (best first, then the deck's order)."""
    store = graded_store
    sql, params = search_sql(parse(text), TODAY, "sm2", 50)
    rows = store.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
    # the loops of each level, outermost first: the scored matches (`m`) scanned as an inner
    # loop, once for each row of an outer one, is the defect
    loops: dict[int, list[str]] = {}
    for _, parent, _, line in rows:
        if line.startswith(("SCAN ", "SEARCH ", "MULTI-INDEX OR")):
            loops.setdefault(parent, []).append(line)
    assert not [x for lines in loops.values() for x in lines[1:] if x.startswith("SCAN m")], rows
    hits, total = store.search(parse(text), TODAY, "sm2")
    assert total == len(hits) > 0
    scored = [h.rank for h in hits if h.rank is not None]
    assert scored == sorted(scored) and all(h.rank is None for h in hits[len(scored) :])
    unscored = [h.id for h in hits[len(scored) :]]
    order = {card_id: i for i, card_id in enumerate(c.id for c in load_catalog().cards)}
    assert unscored == sorted(unscored, key=order.__getitem__)


@pytest.mark.parametrize(
    "text",
    [
        "is:new",
        "-is:due",
        "tag:math",
        "topic:gd prop:reps=0",
        "gradient is:new",
        "-gradient is:new",
        "(gradient OR loss) tag:math",
        "(topic:gd OR topic:loss) -is:review",
        "is:suspended",
    ],
)
def test_a_filters_page_and_count_are_made_in_sql(graded_store: Store, text: str) -> None:
    """A search with filters had every match fetched into Python, to be counted and cut to
    the page shown (`is:due`, `tag:none`, `prop:reps>2`, half of 100,000 cards: 165-400 ms).
    The statement now returns the page alone, each row with the count of all the matches:
    the same cards, in the same order, and the same count as all the matches listed, today
    and as of a past day (the cards' state then)."""
    store = graded_store
    for day in (TODAY, TODAY - timedelta(6)):
        every, n = store.search(parse(text), day, "sm2")
        assert n == len(every)
        ran: list[str] = []
        store.conn.set_trace_callback(ran.append)
        try:
            first, total = store.search(parse(text), day, "sm2", 3)
        finally:
            store.conn.set_trace_callback(None)
        assert [(h.id, h.topic, h.rank) for h in first] == [
            (h.id, h.topic, h.rank) for h in every[:3]
        ]
        assert total == n, (text, day)
        searched = [sql for sql in ran if "c.topic" in sql]
        assert searched, ran
        for sql in searched:  # what crossed into Python: the page
            assert len(store.conn.execute(sql).fetchall()) <= 3, (text, day)
    assert n > 3 or text == "is:suspended"


@pytest.mark.parametrize(
    ("text", "parts", "matches"),
    [
        ("(gradient OR loss) tag:math", ["gradient tag:math", "loss tag:math"], 3),
        (
            "(gradient OR softmax) (topic:gd OR topic:cce)",
            ["gradient topic:gd", "gradient topic:cce", "softmax topic:gd", "softmax topic:cce"],
            3,
        ),
        ("gradient (loss OR is:new)", ["gradient loss", "gradient is:new"], 3),
        ("-(zzz OR qqq) loss", ["loss"], 4),
        ("gradient OR is:due", ["gradient", "is:due"], None),
        ("(gradient OR -loss) topic:gd", ["gradient topic:gd", "-loss topic:gd"], None),
    ],
)
def test_an_or_tree_whose_every_match_holds_a_word_reads_the_index_once(
    graded_store: Store, text: str, parts: list[str], matches: int | None
) -> None:
    """A tree with `or` ranks the cards that hold a found word, then adds those matching
    without one. When every card it matches holds a found word, that second branch finds
    nothing, yet it matched each of the tree's words again: `(momentum OR gradient)
    tag:math` at 100,000 cards spent half its 218 ms there. It is left out then (each word
    matched once), kept where a card can match without a word; the cards are those of the
    flat queries the tree is the union of, counted alike."""
    store = graded_store
    query = parse(text)
    sql, _ = search_sql(query, TODAY, "sm2", 50)
    if matches is not None:  # the found words' MATCH, and each term's own, once
        assert "UNION" not in sql and sql.count("MATCH ?") == matches, sql
    else:
        assert "UNION ALL" in sql, sql
    hits, total = store.search(query, TODAY, "sm2")
    every = [{h.id for h in store.search(parse(p), TODAY, "sm2")[0]} for p in parts]
    assert {h.id for h in hits} == set().union(*every) and total == len(hits) > 0, text
    page, counted = store.search(query, TODAY, "sm2", 2)
    assert [h.id for h in page] == [h.id for h in hits[:2]] and counted == total


@pytest.mark.parametrize("text", ["gradient OR loss OR softmax", 'loss OR "learning rate"'])
def test_an_or_of_words_is_ranked_and_counted_in_the_index(graded_store: Store, text: str) -> None:
    """An `or` of words alone (`words_match`) is matched by the index's own OR, not as a tree
    whose every word is listed once per branch (twenty words at 100,000 cards: 2.4 s against
    0.6): the same cards, in the same order, and the same count, as the tree's query gives."""
    from dlcards.store.search import _tree_sql, words_match

    store = graded_store
    query = parse(text)
    assert query.tree is not None and words_match(query) is not None
    sql, params = _tree_sql(query, query.tree, TODAY, "sm2", None, 4, False)
    as_tree = [tuple(r) for r in store.conn.execute(sql, params).fetchall()]
    hits, total = store.search(query, TODAY, "sm2")
    assert [(h.id, h.topic, h.rank) for h in hits] == as_tree and total == len(as_tree) > 3
    first, counted = store.search(query, TODAY, "sm2", 3)
    assert ([h.id for h in first], counted) == ([r[0] for r in as_tree[:3]], len(as_tree))
    sql, _ = search_sql(query, TODAY, "sm2", 3)
    assert "UNION" not in sql and "IN (SELECT" not in sql


# --- search lines are spelled as show and list spell them --------------------------------------

FORMULA_DECK = r"""topic: acc
title: Accents
cards:
- id: acc-1
  question: What is $\tilde{x}$ next to $\Sigma x$ and $\hat{y}$?
  answer: The smoothed $\tilde{x} = \Sigma \bar{z}$, see it.
  tags: [math]
"""


@pytest.mark.parametrize(
    ("locale", "ascii_only"),
    [({"LC_ALL": "C"}, True), ({"LC_ALL": "C.UTF-8", "TERM": "dumb"}, False)],
    ids=["C", "utf8-dumb"],
)
def test_search_lines_spell_formulas_as_show_and_list_do(
    tmp_path: Path, locale: dict[str, str], ascii_only: bool
) -> None:
    """`LC_ALL=C dlcards search` wrote the rendered text without its formulas' ranges, so
    the letter \\Sigma came out as `sum` (a Σ in prose before an operand reads as a sum),
    where `show` and `list` write `Sigma`: every screen goes through `render.to_output`."""
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "acc.yaml").write_text(FORMULA_DECK, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    env = {**env, **locale, "COLUMNS": "100", "DLCARDS_DECKS": str(decks)}
    env.pop("PYTHONIOENCODING", None)
    env.pop("PYTHONUTF8", None)

    def dlcards(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "dlcards", *args, "--decks", str(decks)],
            env=env,
            capture_output=True,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.decode("ascii" if ascii_only else "utf-8")

    question, answer = (
        ("What is x_tilde next to Sigma x and y_hat?", "The smoothed x_tilde = Sigma z_bar")
        if ascii_only
        else ("What is x̃ next to Σ x and ŷ?", "The smoothed x̃ = Σ z̅")
    )
    assert f"acc-1\t{question}" in dlcards("list", "--topic", "acc")
    assert question in dlcards("show", "acc-1") and answer in dlcards("show", "acc-1")
    found = dlcards("search", "smoothed", "topic:acc").splitlines()
    assert found[0].split(None, 2) == ["acc-1", "acc", question], found
    assert found[1].strip().split(None, 1)[1] == f"answer: {answer}, see it.", found
    as_json = json.loads(dlcards("search", "smoothed", "topic:acc", "--json"))
    assert as_json["cards"][0]["question"] == "What is x̃ next to Σ x and ŷ?"  # data kept whole


def test_the_search_examples_run_as_a_shell_reads_them(tmp_path: Path) -> None:
    """`dlcards search --help` gave `... is:due prop:lapses>3` as its example: typed in a
    shell, `>3` sends the output to a file named 3 and dlcards gets `prop:lapses`, whose
    error then said to write `prop:lapses>3`, which is what the learner had typed. The
    examples are quoted as a shell needs them, and the error for a `prop:` without its test
    says to quote it. Each example is split as bash splits it (shlex) and run."""
    import shlex

    from conftest import ROOT

    runner = CliRunner()
    helped = " ".join(runner.invoke(app, ["search", "--help"]).output.split())
    example = re.search(r"e\.g\. (momentum .*?)\.\s+\[required\]", helped)
    assert example, helped
    readme = re.sub(r"\s+", " ", (ROOT / "README.md").read_text(encoding="utf-8"))
    quoted = re.search(r"\(`(dlcards search '[^`]*')`\): unquoted", readme)
    assert quoted, "the README's quoted search"
    shell = re.search(r"as a whole: `(dlcards search '.*?')`\.", helped)
    assert shell, helped
    for words in (
        ["search", *shlex.split(example[1])],
        shlex.split(quoted[1])[1:],
        shlex.split(shell[1])[1:],
    ):
        result = runner.invoke(app, words)
        assert result.exit_code == 0, (words, result.output)
    # what the shell gives dlcards of an unquoted `prop:lapses>3`
    bare = runner.invoke(app, ["search", "momentum", "prop:lapses"])
    assert bare.exit_code == 2
    assert "in a shell, in quotes: 'prop:lapses>3'" in bare.output, bare.output


def test_a_filter_whose_quotes_the_shell_took_says_how_to_give_them_to_the_query() -> None:
    """`dlcards search deck:"Deep Learning"` typed in a shell reaches dlcards as one word,
    `deck:Deep Learning` (the deck "Deep" and the word "Learning"): it found nothing and said
    only that, and with `::Grad*` its error said to escape a colon. Both say the shell took
    the quotes, with the command that gives them to the query; that command finds the cards."""
    import shlex

    runner = CliRunner()
    for words, found in (
        (["deck:Deep Learning"], "No card matches 'deck:Deep Learning'. "),
        (["momentum", "deck:Deep Learning::Grad*"], "error: search: unknown field 'learning:'"),
    ):
        result = runner.invoke(app, ["search", *words])
        line = " ".join(result.output.split())
        assert line.startswith(found), line
        assert "your shell took the quotes away from" in line.lower(), line
        command = line.rsplit(": ", 1)[1]  # a code span, kept on one line
        assert command.startswith("`dlcards search '") and command.endswith("'`"), command
        command = command.strip("`")
        again = runner.invoke(app, shlex.split(command)[1:])
        assert again.exit_code in (0, 1) and "shell" not in again.output, again.output
    quoted = runner.invoke(app, ["search", 'deck:"Deep Learning"'])
    assert quoted.exit_code == 0 and "perceptron-1" in quoted.output, quoted.output
    # a word with a space that is no filter's value is the query's words, as it was
    plain = runner.invoke(app, ["search", "zzqx yyqx"])
    assert plain.output.strip() == "No card matches 'zzqx yyqx'.", plain.output


@pytest.mark.parametrize(
    ("command", "none"),
    [
        (["study"], "No card matches the search 'deck:Deep Learning'; nothing to study. "),
        (["quiz"], "No cards to quiz on: the search 'deck:Deep Learning' found none. "),
    ],
)
def test_a_search_option_whose_quotes_the_shell_took_says_so_too(
    command: list[str], none: str
) -> None:
    """`--search deck:"Deep Learning"` in a shell is `deck:Deep Learning` for study and quiz
    too: their line for no card found, and their query's error, say what `search` says, with
    their own command."""
    runner = CliRunner()
    for query, said in (("deck:Deep Learning", none), ("deck:Deep Learning::x*", "error: ")):
        result = runner.invoke(app, [*command, "--search", query], input="")
        line = " ".join(result.output.split())
        assert line.startswith(said), line
        assert line.endswith(f"""`dlcards {command[0]} --search 'deck:"{query[5:]}"'`"""), line


@pytest.mark.parametrize("columns", [60, 80])
def test_the_command_that_gives_the_quotes_back_is_never_broken_across_lines(
    monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    """Found in tmux at 60 columns: the line said `dlcards study --search 'deck:"Deep` and the
    next `Learning"'`, a command that cannot be copied. It is a code span now, kept whole."""
    h.terminal_of(monkeypatch, columns)
    runner = CliRunner()
    for words in (["search", "deck:Deep Learning"], ["study", "--search", "deck:Deep Learning"]):
        shown = runner.invoke(app, words, input="").output
        command = f"""`dlcards {words[0]}{" --search" if words[0] == "study" else ""} 'deck:"""
        whole = command + '"Deep Learning"\'`'
        assert any(whole in line for line in shown.splitlines()), shown
        assert all(len(line) <= columns for line in shown.splitlines()), shown
