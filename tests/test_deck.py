"""Deck validation: every malformed deck gives one line naming file, line, card and problem."""

from __future__ import annotations

import itertools
import json
import os
import re
from pathlib import Path
from typing import Any

import helpers as h
import pytest
from conftest import FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dlcards.catalog import load_catalog, read_deck
from dlcards.cli import app
from dlcards.deck import Card, parse_deck
from dlcards.errors import DeckError, UsageError
from dlcards.fileio import read_cache_json, write_cache_json

BAD = FIXTURES / "bad"
runner = CliRunner()

# file -> (line, pieces the message must contain)
EXPECTED: dict[str, tuple[int | None, tuple[str, ...]]] = {
    # the bracket opens on line 6, the last: PyYAML notices at the end (7), which is no line
    "syntax.yaml": (6, ("YAML syntax error", "flow sequence that starts here")),
    "missing_answer.yaml": (7, ("card demo-2", "required field 'answer' is missing")),
    "empty_question.yaml": (5, ("card demo-1", "field 'question' is empty")),
    "null_answer.yaml": (6, ("card demo-1", "field 'answer' is empty")),
    "wrong_type_answer.yaml": (6, ("card demo-1", "'answer' must be text, not a mapping")),
    "unknown_key.yaml": (6, ("card demo-1", "unknown key 'answr'", "did you mean 'answer'")),
    "duplicate_id.yaml": (7, ("card demo-1", "duplicate id", "line 4")),
    "duplicate_builtin_id.yaml": (4, ("card gd-23", "duplicate id", "08-gd.yaml")),
    "bad_topic.yaml": (1, ("topic 'Gradient Descent' is not a valid topic slug",)),
    "builtin_topic.yaml": (1, ("topic 'gd' is already defined by", "08-gd.yaml")),
    "bad_tag.yaml": (
        7,
        ("card demo-1", "tag 'Math Cards' is not a valid tag", "no spaces", "write 'math_cards'"),
    ),
    "python_object.yaml": (5, ("Python object tag", "not allowed")),
    "missing_id.yaml": (4, ("card #1 has no 'id'",)),
    "cards_not_list.yaml": (3, ("'cards' must be a list",)),
    "missing_title.yaml": (1, ("required field 'title' is missing",)),
    "top_level_list.yaml": (1, ("a deck must be a mapping",)),
    "empty.yaml": (None, ("the deck is empty",)),
    "bad_id.yaml": (4, ("id must be lowercase",)),
    "tags_not_list.yaml": (7, ("card demo-1", "tags must be a list")),
    "bad_compute.yaml": (8, ("card demo-1", "unknown key 'function' in compute")),
    "duplicate_key.yaml": (7, ("key 'answer' appears twice",)),
    "card_is_text.yaml": (None, ("card #2 must be a mapping",)),
    "latin1.yaml": (5, ("not UTF-8",)),
    "tab_indent.yaml": (5, ("YAML syntax error", "tab")),
    "control_character.yaml": (5, ("5:20: the character U+0001 is not allowed", "as \\x01 in")),
    "bad_references.yaml": (8, ("card demo-1", "each reference must be non-empty text")),
    "references_without_remark.yaml": (
        7,
        ("card demo-1", "references back an erratum or a note"),
    ),
    "source_question_without_note.yaml": (
        6,
        ("card demo-1", "a repaired question needs a note or erratum"),
    ),
    "wrong_without_erratum.yaml": (
        8,
        ("card demo-1", "compute huber is marked 'wrong: true'", "no erratum"),
    ),
    "empty_note.yaml": (7, ("card demo-1", "field 'note' is empty")),
    # a card that answers the same question as another is never its wrong option in a quiz
    "same_question_self.yaml": (7, ("card demo-1", "same_question lists the card itself")),
    "same_question_not_ids.yaml": (
        7,
        ("card demo-1", "same_question lists card ids like robust-4, not text 'Demo 2'"),
    ),
    # a claim of .nan was loaded and reported later as a mismatch (≠ claimed nan); a
    # tolerance of .inf made every value match its claim
    "nan_claim.yaml": (8, ("card demo-1", "claim must be a finite number, not nan")),
    "inf_tolerance.yaml": (8, ("card demo-1", "tolerance must be a finite non-negative")),
    # an Anki note's GUID (`import anki --to-yaml`): text Anki could have written
    "anki_guid_space.yaml": (7, ("card demo-1", "anki_guid holds a space")),
    "anki_guid_number.yaml": (
        8,
        ("card demo-1", "anki_guid must be text, not a number; write it in quotes"),
    ),
    # the Anki note type of the note (`anki_note_type:`): only with its GUID, and the question
    # and answer two of its fields
    "anki_note_type_no_guid.yaml": (
        7,
        ("card demo-1", "anki_note_type needs the note's anki_guid beside it", "remove it"),
    ),
    # the deck's Anki deck (`anki_deck:`): a name Anki could hold
    "anki_deck_empty_part.yaml": (
        3,
        ("field 'anki_deck' must be an Anki deck's name", "none of them empty", "remove it"),
    ),
    "anki_note_type_cloze_two_fields.yaml": (
        8,
        ("card demo-1", "question and answer must be one field, its cloze field"),
    ),
    "anki_note_type_answer_not_a_field.yaml": (
        8,
        ("card demo-1", "anki_note_type question and answer must be its fields"),
    ),
}


def test_corpus_is_complete() -> None:
    assert sorted(EXPECTED) == sorted(p.name for p in BAD.glob("*.yaml"))
    assert len(EXPECTED) >= 15


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_deck_message(name: str) -> None:
    line, pieces = EXPECTED[name]
    with pytest.raises(DeckError) as info:  # the built-in decks from the test's cache
        load_catalog([BAD / name])
    message = str(info.value)
    assert "\n" not in message
    assert f"{name}:{line}:" in message if line else name in message
    for piece in pieces:
        assert piece in message


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_deck_cli_exit_2_no_traceback(name: str) -> None:
    result = CliRunner().invoke(app, ["topics", "--decks", str(BAD / name)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and name in lines[0]


def test_python_object_is_never_constructed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = (
        "topic: demo\ntitle: Demo\ncards:\n  - id: demo-1\n"
        f"    question: !!python/object/apply:os.system ['touch {marker}']\n    answer: x\n"
    )
    with pytest.raises(DeckError):
        parse_deck(text, "x.yaml")
    assert not marker.exists()


def test_user_deck_joins_builtin(monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = load_catalog([FIXTURES / "good"], use_cache=False)
    assert len(catalog.cards) == 222
    assert catalog.decks[-1].topic == "attention"
    monkeypatch.setenv("DLCARDS_DECKS", str(FIXTURES / "good" / "mydeck.yaml"))
    assert len(load_catalog(use_cache=False).cards) == 222


def test_missing_user_deck_path() -> None:
    result = CliRunner().invoke(app, ["topics", "--decks", "/nonexistent/decks"])
    assert result.exit_code == 2
    assert "error: deck path /nonexistent/decks does not exist" in result.output


def test_card_fields_and_line_numbers() -> None:
    deck = read_deck(FIXTURES / "good" / "mydeck.yaml")
    first, second = deck.cards
    assert (first.id, first.line, first.tags) == ("att-1", 4, ("interview",))
    assert second.line == 8 and second.tags == ()
    assert first.content_hash != second.content_hash


def test_a_tag_is_what_anki_takes_as_one_in_lower_case() -> None:
    """A torture run: `import anki --to-yaml` dropped `日本::タグ` and made `C++` `c`, as the
    deck model took only ASCII letters, digits, '-' and '_'. A deck's tag is now what Anki
    takes as a tag (no spaces or control characters; `::` between a hierarchy's parts), in
    lower case and NFC, as Anki compares tags; the deck in `tags:` of flow and block lists,
    through the quick reader and PyYAML's."""
    good = ["c++", "日本::タグ", "c#", "a.b", "-x", "ml::cnn", "straße", "über", "a:b"]
    for text in (
        f"tags: {json.dumps(good, ensure_ascii=False)}",
        "tags:\n" + "".join(f"      - {json.dumps(t, ensure_ascii=False)}\n" for t in good),
    ):
        deck = parse_deck(
            f"topic: t\ntitle: T\ncards:\n  - id: t-1\n    question: q\n"
            f"    answer: a\n    {text}\n",
            "t.yaml",
        )
        assert deck.cards[0].tags == tuple(good)
    bad = {
        "C++": "tags are lower case (Anki ignores case); write 'c++'",
        "a b": "a tag has no spaces or control characters (Anki splits tags at spaces); "
        "write 'a_b'",
        "ml::": "'::' stands between the parts of a hierarchical tag, like 'ml::cnn'",
        "u\u0308ber": "write 'über', its accents composed (NFC), as Anki keeps tags",
        "": "a tag is not empty",
    }
    for tag, problem in bad.items():
        text = "topic: t\ntitle: T\ncards:\n  - id: t-1\n    question: q\n    answer: a\n"
        with pytest.raises(DeckError) as err:
            parse_deck(text + f"    tags: [{json.dumps(tag)}]\n", "t.yaml")
        assert str(err.value) == f"t.yaml:7: card t-1: tag {tag!r} is not a valid tag: {problem}"


def test_content_hash_ignores_id_and_tags() -> None:
    a = parse_deck("topic: d\ntitle: D\ncards:\n- {id: a, question: q, answer: x}\n", "a")
    b = parse_deck(
        "topic: d\ntitle: D\ncards:\n- {id: b, question: q, answer: x, tags: [t]}\n", "b"
    )
    c = parse_deck("topic: d\ntitle: D\ncards:\n- {id: a, question: q, answer: y}\n", "c")
    assert a.cards[0].content_hash == b.cards[0].content_hash != c.cards[0].content_hash


def _count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every deck file the YAML parser reads from now on (whole, or by its changed
    cards: `reparse_reusing`, which `reparse_deck` calls too)."""
    import dlcards.deck as deck_mod

    parsed: list[str] = []
    whole, again = deck_mod.parse_deck, deck_mod.reparse_reusing

    def counting(text: str, path: str):  # type: ignore[no-untyped-def]
        parsed.append(Path(path).name)
        return whole(text, path)

    def counting_again(text: str, path: str, *args):  # type: ignore[no-untyped-def]
        made = again(text, path, *args)
        if made is not None:
            parsed.append(Path(path).name)
        return made

    monkeypatch.setattr(deck_mod, "parse_deck", counting)
    monkeypatch.setattr(deck_mod, "reparse_reusing", counting_again)
    return parsed


def test_cache_is_used_and_invalidated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deck = tmp_path / "d.yaml"
    deck.write_text("topic: d\ntitle: D\ncards:\n- {id: d-1, question: q, answer: old}\n")
    parsed = _count_parses(monkeypatch)
    assert load_catalog([deck]).card("d-1").answer == "old"
    assert parsed.count("d.yaml") == 1
    assert load_catalog([deck]).card("d-1").answer == "old"
    assert parsed.count("d.yaml") == 2  # just written: it may change again unseen, read again
    h.settled(deck)
    assert load_catalog([deck]).card("d-1").answer == "old"
    assert parsed.count("d.yaml") == 3
    assert load_catalog([deck]).card("d-1").answer == "old"
    assert parsed.count("d.yaml") == 3  # settled: the second load came from the cache
    deck.write_text("topic: d\ntitle: D\ncards:\n- {id: d-1, question: q, answer: new!}\n")
    assert load_catalog([deck]).card("d-1").answer == "new!"
    assert parsed.count("d.yaml") == 4


@pytest.mark.parametrize("racy", [False, True])
def test_an_edit_that_keeps_the_size_and_the_modification_time_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, racy: bool
) -> None:
    """A deck file is known by its size, modification time and change time: an edit of the
    same size whose modification time is set back (`touch -r`, a copy that keeps times, a
    file system that keeps whole seconds) is read, and so is one in the same tick of the
    file clock as the look before (`racy`: the file was modified just before it was read; the
    second edit gets the same modification time and, from here, cannot be told apart)."""
    from dlcards import prompt

    deck = tmp_path / "d.yaml"
    text = "topic: d\ntitle: D\ncards:\n- {id: d-1, question: q, answer: %s}\n"
    deck.write_text(text % "A1")
    if not racy:
        h.settled(deck)
    when = deck.stat().st_mtime_ns
    if racy:  # each look a microsecond after the last, in the tick of the write: and the file
        # clock stands still, so every stat after the edit is the one before it
        seen, real, looks = deck.stat(), prompt.file_version, itertools.count(1)
        monkeypatch.setattr(
            prompt, "file_version", lambda st, now: real(seen, when + 1000 * next(looks))
        )
    parsed = _count_parses(monkeypatch)
    assert load_catalog([deck]).card("d-1").answer == "A1"
    deck.write_text(text % "B1")  # the same size
    os.utime(deck, ns=(when, when))
    assert load_catalog([deck]).card("d-1").answer == "B1"
    assert parsed.count("d.yaml") == 2


def test_a_duplicate_id_across_decks_names_both_places(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "topic: a\ntitle: A\ncards:\n- {id: x, question: q, answer: a}\n"
    )
    (tmp_path / "b.yaml").write_text(
        "topic: b\ntitle: B\ncards:\n\n- {id: x, question: q, answer: b}\n"
    )
    with pytest.raises(
        DeckError, match=r"b.yaml:5: card x: duplicate id, already used at .*a.yaml:4"
    ):
        load_catalog([tmp_path], use_cache=False)


def test_catalog_loads_only_the_decks_it_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    import dlcards.catalog as catalog_mod

    load_catalog()  # parse once, fill the cache
    loaded: list[str] = []
    real = catalog_mod._deck_from_json

    def counting(data: dict, shown: str, stamp: str):  # type: ignore[no-untyped-def]
        loaded.append(data["topic"])
        return real(data, shown, stamp)

    monkeypatch.setattr(catalog_mod, "_deck_from_json", counting)
    catalog = load_catalog()
    assert (sum(len(i.ids) for i in catalog.infos), len(catalog.topic_titles())) == h.shipped()
    assert loaded == []  # the index alone
    assert catalog.card("gd-23").answer.startswith(r"$\frac{320}{64}")
    assert loaded == ["gd"]
    # the ids of some topics or of all, in deck order, from the index alone
    ids, every = catalog.ids(["vgp", "gd"]), catalog.ids()
    assert loaded == ["gd"]
    with pytest.raises(UsageError, match="unknown topic 'nope'"):
        catalog.ids(["nope"])
    assert len(catalog.select(["gd", "vgp"])) == sum(
        len(catalog.deck(t).cards) for t in ("gd", "vgp")
    )
    assert loaded == ["gd", "vgp"]
    assert ids == [c.id for c in catalog.select(["gd", "vgp"])]
    assert every == [c.id for c in catalog.cards]


def test_a_tag_the_chosen_cards_carry_needs_no_other_deck(monkeypatch: pytest.MonkeyPatch) -> None:
    """Choosing by topic and tag reads the topic's deck only when its cards carry the tag; an
    unknown tag is still an error, and a tag only other topics carry gives no card."""
    import dlcards.catalog as catalog_mod

    catalog = load_catalog()
    loaded: list[str] = []
    real = catalog_mod.Catalog.deck

    def deck(self: catalog_mod.Catalog, topic: str) -> object:
        loaded.append(topic)
        return real(self, topic)

    monkeypatch.setattr(catalog_mod.Catalog, "deck", deck)
    chosen = catalog.select(["gd"], "math")
    assert chosen and all(c.topic == "gd" and "math" in c.tags for c in chosen)
    assert set(loaded) == {"gd"}
    with pytest.raises(UsageError, match="unknown tag 'nope'"):
        catalog.select(["gd"], "nope")
    others = {t for c in catalog.cards for t in c.tags} - {
        t for c in real(catalog, "gd").cards for t in c.tags
    }
    assert others  # "interview": cce, bce, loss and robust carry it
    assert catalog.select(["gd"], sorted(others)[0]) == []


def test_cache_keeps_entries_for_other_deck_sets_and_survives_damage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dlcards.catalog as catalog_mod

    deck = tmp_path / "d.yaml"
    deck.write_text("topic: d\ntitle: D\ncards:\n- {id: d-1, question: q, answer: a}\n")
    h.settled(deck)
    load_catalog([deck])
    load_catalog()  # without the user deck: its cache entry stays
    index = read_cache_json(catalog_mod.cache_dir() / "decks" / "index.json")
    assert isinstance(index, dict) and len(index) == 10
    # a damaged cache file (or one of an older version, without the stamp) is ignored, the
    # deck parsed again and its entry written anew: the next run reads the cache again
    entry = catalog_mod.cache_dir() / "decks" / f"{catalog_mod._key(deck.resolve())}.json"
    whole = read_cache_json(entry)
    assert isinstance(whole, dict)
    unstamped = {k: v for k, v in whole.items() if k != "stamp"}
    parsed = _count_parses(monkeypatch)
    for damage in ("{oops", unstamped):
        if isinstance(damage, str):
            entry.write_text(damage)
        else:
            write_cache_json(entry, damage)
        assert load_catalog([deck]).card("d-1").answer == "a"
        assert load_catalog([deck]).card("d-1").answer == "a"
        assert parsed == ["d.yaml"]
        parsed.clear()


@pytest.mark.parametrize(
    "damage",
    [
        lambda index, key: [index],  # not a mapping
        lambda index, key: {**index, key: "x"},  # an entry that is not a mapping
        lambda index, key: {**index, key: {**index[key], "ids": ["d-1"]}},  # ids of an old form
        lambda index, key: {**index, key: {**index[key], "math": "0"}},
        lambda index, key: {**index, "other": 7},  # a stray entry
    ],
)
def test_a_damaged_deck_index_is_read_again_from_the_decks(tmp_path: Path, damage: Any) -> None:
    """The cache's index is JSON of a known shape; any other shape (a crash half-way, a hand
    edit) costs a parse, never a wrong catalog or a traceback."""
    import dlcards.catalog as catalog_mod

    deck = tmp_path / "d.yaml"
    deck.write_text("topic: d\ntitle: D\ncards:\n- {id: d-1, question: q, answer: a}\n")
    load_catalog([deck])
    where = catalog_mod.cache_dir() / "decks" / "index.json"
    index = read_cache_json(where)
    write_cache_json(where, damage(index, catalog_mod._key(deck.resolve())))
    catalog = load_catalog([deck])
    assert catalog.card("d-1").answer == "a" and catalog.topic_of("d-1") == "d"
    assert [i.size for i in catalog.infos][-1] == 1 and catalog.infos[-1].ids == ("d-1",)


def test_cache_forgets_deck_files_that_are_gone(tmp_path: Path) -> None:
    import dlcards.catalog as catalog_mod

    gone = tmp_path / "gone.yaml"
    gone.write_text("topic: g\ntitle: G\ncards:\n- {id: g-1, question: q, answer: a}\n")
    load_catalog([gone])
    cached = catalog_mod.cache_dir() / "decks" / f"{catalog_mod._key(gone.resolve())}.json"
    assert cached.exists()
    gone.unlink()
    other = tmp_path / "other.yaml"
    other.write_text("topic: o\ntitle: O\ncards:\n- {id: o-1, question: q, answer: a}\n")
    load_catalog([other])  # writing the index prunes the missing file's entry
    index = read_cache_json(catalog_mod.cache_dir() / "decks" / "index.json")
    assert (
        isinstance(index, dict)
        and catalog_mod._key(gone.resolve()) not in index
        and not cached.exists()
    )


REMARKS = """topic: d
title: D
cards:
- id: d-1
  question: Why is MAE robust?
  source_question: What does MAE gain robustness?
  answer: Its penalty is linear.
  tags: [math]
  compute:
  - {fn: huber, args: {error: 100, delta: 1}, claim: 10.5, wrong: true}
  erratum: It is 99.5.
  note: The question is repaired.
  references:
  - "Hastie et al. (2009), §10.6"
  - PyTorch HuberLoss
"""


def test_erratum_note_references_and_source_question() -> None:
    card = parse_deck(REMARKS, "d.yaml").cards[0]
    assert card.question == "Why is MAE robust?"
    assert card.source_question == "What does MAE gain robustness?"
    assert card.erratum == "It is 99.5." and card.note == "The question is repaired."
    assert card.references == ("Hastie et al. (2009), §10.6", "PyTorch HuberLoss")
    assert card.compute[0].wrong is True


@pytest.mark.parametrize(
    "old, new",
    [
        ("note: The question is repaired.", "note: The question was repaired."),
        ("  - PyTorch HuberLoss\n", ""),
        ("source_question: What does MAE gain", "source_question: What does MAE win"),
    ],
)
def test_content_hash_sees_the_remarks(old: str, new: str) -> None:
    edited = REMARKS.replace(old, new)
    assert edited != REMARKS
    before = parse_deck(REMARKS, "d.yaml").cards[0].content_hash
    assert parse_deck(edited, "d.yaml").cards[0].content_hash != before


def test_content_hash_of_a_card_without_remarks_is_unchanged() -> None:
    """Cards without the newer fields hash as before, so an upgrade re-syncs nothing."""
    import hashlib

    card = parse_deck("topic: d\ntitle: D\ncards:\n- {id: a, question: q, answer: x}\n", "a")
    expected = hashlib.sha1(b"q\x00x\x00\x00", usedforsecurity=False).hexdigest()[:16]
    assert card.cards[0].content_hash == expected


def test_cache_keeps_the_remarks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deck = tmp_path / "d.yaml"
    deck.write_text(REMARKS, encoding="utf-8")
    h.settled(deck)
    parses = _count_parses(monkeypatch)
    parsed = load_catalog([deck]).card("d-1")
    cached = load_catalog([deck]).card("d-1")
    assert parses.count("d.yaml") == 1  # the second came from the cache
    assert cached == parsed
    assert cached.references == ("Hastie et al. (2009), §10.6", "PyTorch HuberLoss")
    assert cached.compute[0].wrong and cached.source_question and cached.note


@pytest.mark.parametrize("other", ["format", "card shape"])
def test_a_cache_entry_of_another_format_or_card_shape_is_parsed_again(
    tmp_path: Path, other: str
) -> None:
    """An entry of another format, or whose cards hold other fields (a dlcards whose Card
    differs), is not read: the deck is parsed again."""
    import dlcards.catalog as catalog_mod

    deck = tmp_path / "d.yaml"
    deck.write_text(REMARKS, encoding="utf-8")
    h.settled(deck)
    load_catalog([deck])
    cached = catalog_mod.cache_dir() / "decks" / f"{catalog_mod._key(deck.resolve())}.json"
    data = read_cache_json(cached)
    assert isinstance(data, dict)
    at = data["shape"][0].index("note")
    data["cards"][0][at] = "stale"
    if other == "format":
        data["format"] = 1
    else:
        data["shape"][0][at] = "remark"
    write_cache_json(cached, data)
    assert load_catalog([deck]).card("d-1").note == "The question is repaired."


@pytest.mark.parametrize(
    "cached, right, flipped",
    [
        ("index", b"perceptron-1", b"perceptron-q"),  # '1' and 'q' differ in one bit
        ("entry", b"perceptron-1", b"perceptron-q"),
        ("entry", b"perceptron loss", b"perceptron lows"),  # 's' and 'w': one bit
    ],
    ids=["an-id-in-the-index", "an-id-in-the-entry", "a-question-in-the-entry"],
)
def test_a_bit_flipped_in_the_deck_cache_is_never_taken_for_the_deck(
    isolated: Path, cached: str, right: bytes, flipped: bytes
) -> None:
    """The deck cache is read back for as long as its deck file does not change. A bit
    flipped on the disk inside one of its strings (a card's id, its text) is still valid
    JSON: `show perceptron-1` said the card was in no deck any more (its id in the cache was
    `perceptron-q`), and `list` showed the flipped id. Each cache file now carries its body's
    checksum: a damaged one is parsed again from the deck."""
    import subprocess
    import sys

    import dlcards.catalog as cat

    deck = cat.builtin_decks_dir() / "01-perceptron.yaml"
    folder = cat.cache_dir() / "decks"
    file = folder / ("index.json" if cached == "index" else f"{cat._key(deck.resolve())}.json")
    raw = file.read_bytes()
    assert right in raw
    file.unlink()  # a hard link to the fixtures' cache: written anew, not in place
    file.write_bytes(raw.replace(right, flipped, 1))

    def dlcards(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dlcards", *args], capture_output=True, text=True, timeout=60
        )

    shown = dlcards("show", "perceptron-1")
    assert shown.returncode == 0, shown.stderr
    assert "perceptron loss function" in shown.stdout
    listed = dlcards("list", "--topic", "perceptron")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("perceptron-1\t") and flipped.decode() not in listed.stdout


def test_every_built_in_card_comes_back_from_the_cache_as_parsed() -> None:
    """Each field of every card (computations, quizzes, remarks) survives the cache's arrays."""
    from dlcards.catalog import _deck_from_json, _deck_to_json, builtin_decks_dir, read_deck

    decks = [read_deck(f) for f in sorted(builtin_decks_dir().glob("*.yaml"))]
    assert any(c.quiz for d in decks for c in d.cards)
    assert any(c.compute for d in decks for c in d.cards)
    for deck in decks:
        entry = json.loads(json.dumps(_deck_to_json(deck, Path(deck.path), "s")))
        assert _deck_from_json(entry, deck.path, "s") == deck


ANKI_GUID_DECK = "topic: t\ntitle: T\ncards:\n  - id: t-1\n    question: q\n    answer: a\n"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "anki_guid is empty; write the Anki note's GUID, or remove the key"),
        ("''", "anki_guid is empty"),
        ("[a, b]", "anki_guid must be text, not a list"),
        ("'a b'", "anki_guid holds a space"),
        ('"a\\u00a0b"', "anki_guid holds a space"),  # a no-break space
        ('"a\\u200bb"', "anki_guid holds a space or an unprintable character"),
        ('"a\\tb"', "anki_guid holds a space"),
        ("'" + "x" * 65 + "'", "anki_guid is 65 characters long; an Anki GUID has at most 64"),
        ("true", "anki_guid must be text, not true/false; write it in quotes"),
    ],
)
@pytest.mark.parametrize("remark", [False, True], ids=["usual-card", "checked-card"])
def test_an_anki_guid_that_anki_could_not_have_written_is_one_line_at_its_line(
    value: str, problem: str, remark: bool
) -> None:
    """A card's `anki_guid` (its Anki note's GUID, which `export anki` gives its note) is text
    Anki could have written: not empty, printable, no whitespace, at most 64 characters; else
    one line with the file, the key's line and the card, whichever path reads the card."""
    text = ANKI_GUID_DECK + ("    note: a remark\n" if remark else "")
    with pytest.raises(DeckError) as info:
        parse_deck(text + f"    anki_guid: {value}\n", "d.yaml")
    line = 8 if remark else 7
    assert str(info.value).startswith(f"d.yaml:{line}: card t-1: {problem}"), info.value


@pytest.mark.parametrize("remark", [False, True], ids=["usual-card", "checked-card"])
def test_an_anki_guid_is_the_cards_and_comes_back_from_the_cache(remark: bool) -> None:
    """Anki's own GUIDs use base-91 digits, YAML's specials among them (`#`, `&`, `*`, `{`): in
    quotes they are the card's, and the deck cache keeps them; a card without one has None."""
    from dlcards.catalog import _deck_from_json, _deck_to_json

    guid = "f#W>x4,Zq]&*{|"
    text = ANKI_GUID_DECK + ("    note: a remark\n" if remark else "")
    text += f"    anki_guid: '{guid}'\n  - id: t-2\n    question: q2\n    answer: a2\n"
    deck = parse_deck(text, "d.yaml")
    assert [c.anki_guid for c in deck.cards] == [guid, None]
    entry = json.loads(json.dumps(_deck_to_json(deck, Path("d.yaml"), "s")))
    assert _deck_from_json(entry, "d.yaml", "s") == deck


def test_two_cards_of_one_file_with_one_anki_guid_is_one_line_on_either_path() -> None:
    """Exported, two cards with the same `anki_guid` would be one note in Anki (the second
    updating the first): the file is refused at the second's key, naming the first, whether
    the whole file is read or only the card an edit changed (`reparse_deck` leaves it to the
    whole parse, which says where)."""
    from dlcards.deck import parse_deck_chunked, reparse_deck

    two = "topic: t\ntitle: T\ncards:\n- id: t-1\n  question: q\n  answer: a\n"
    two += "  anki_guid: 'g1'\n- id: t-2\n  question: q2\n  answer: a2\n"
    deck, chunks = parse_deck_chunked(two + "  anki_guid: 'g2'\n", "d.yaml")
    assert chunks is not None and [c.anki_guid for c in deck.cards] == ["g1", "g2"]
    saved = two + "  anki_guid: 'g1'\n"
    assert reparse_deck(saved, "d.yaml", deck, chunks) is None
    with pytest.raises(DeckError) as info:
        parse_deck(saved, "d.yaml")
    assert str(info.value) == (
        "d.yaml:11: card t-2: anki_guid 'g1' is also card t-1's (line 4 of this file); each "
        "card is its own Anki note"
    )


# --- hostile decks: bounded, one line, fast ---------------------------------------------------


def alias_bomb(levels: int = 10, fan: int = 9) -> str:
    lines = ["topic: bomb", "title: Bomb", "cards:", "  - id: bomb-1", "    question: q"]
    lines += ["    answer: a", "    tags: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        lines.append(f"    source: &a{i} [{', '.join([f'*a{i - 1}'] * fan)}]")
    lines.append(f"    compute: {{fn: huber, label: *a{levels - 1}}}")
    return "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_is_refused_at_its_first_alias() -> None:
    import time

    start = time.monotonic()
    with pytest.raises(DeckError) as err:
        parse_deck(alias_bomb(), "bomb.yaml")
    assert time.monotonic() - start < 2
    assert str(err.value) == (
        "bomb.yaml:8: YAML alias *a0 is not allowed in a deck; write the value out"
    )


def test_an_anchor_without_alias_and_stars_in_text_are_fine() -> None:
    text = (
        "topic: ok\ntitle: Ok\ncards:\n  - id: ok-1\n    question: &q What is **bold** & *it*?\n"
        "    answer: a\n"
    )
    assert parse_deck(text, "ok.yaml").cards[0].question == "What is **bold** & *it*?"


@pytest.mark.parametrize("digits", [301, 5000])
def test_a_number_of_hundreds_of_digits_is_refused(digits: int) -> None:
    text = (
        "topic: big\ntitle: Big\ncards:\n  - id: big-1\n    question: q\n    answer: a\n"
        f"    compute: {{fn: huber, args: {{error: {'9' * digits}}}}}\n"
    )
    with pytest.raises(DeckError) as err:
        parse_deck(text, "big.yaml")
    assert str(err.value) == (
        f"big.yaml:7: a number of {digits:,} characters; numbers in a deck are at most 300 long"
    )


def test_a_number_of_300_characters_is_still_a_number() -> None:
    text = (
        "topic: big\ntitle: Big\ncards:\n  - id: big-1\n    question: q\n    answer: a\n"
        f"    compute: {{fn: huber, args: {{error: {'9' * 300}}}}}\n"
    )
    assert parse_deck(text, "big.yaml").cards[0].compute[0].args["error"] == int("9" * 300)


def test_a_deck_file_over_the_size_limit_is_refused_without_reading_it_all(
    tmp_path: Path,
) -> None:
    from dlcards.yamlload import MAX_DECK_BYTES

    path = tmp_path / "huge.yaml"
    path.write_bytes(b"topic: huge\ntitle: Huge\ncards: []\n# " + b"x" * MAX_DECK_BYTES + b"\n")
    with pytest.raises(DeckError) as err:
        read_deck(path)
    assert str(err.value).endswith(
        "huge.yaml:1: the deck is more than 32 MB, the limit for a deck file; "
        "split it into several files"
    )
    with pytest.raises(DeckError, match=r"^big\.yaml:1: the deck is 32\.0 MB"):
        parse_deck("#" * (MAX_DECK_BYTES + 1), "big.yaml")


def test_hostile_decks_in_a_directory_stop_check_with_one_line(tmp_path: Path) -> None:
    import os

    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "bomb.yaml").write_text(alias_bomb())
    result = runner.invoke(app, ["check", "--decks", str(decks)])
    assert result.exit_code == 2
    assert result.output.strip().endswith(
        "YAML alias *a0 is not allowed in a deck; write the value out"
    )
    (decks / "bomb.yaml").unlink()
    os.mkfifo(decks / "pipe.yaml")
    result = runner.invoke(app, ["check", "--decks", str(decks)])
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"error: deck path {decks / 'pipe.yaml'} is a FIFO (named pipe), not a deck file; "
        "remove or rename it (from --decks or DLCARDS_DECKS)"
    )
    (decks / "pipe.yaml").unlink()
    (decks / "loop.yaml").symlink_to(decks / "loop.yaml")
    result = runner.invoke(app, ["due", "--decks", str(decks)])
    assert result.exit_code == 2 and "is a symbolic link loop" in result.output


def test_nesting_deeper_than_the_limit_is_refused_not_a_recursion_error() -> None:
    text = "topic: deep\ntitle: Deep\ncards:\n  - id: deep-1\n    question: q\n    answer: a\n"
    text += "    tags: " + "[" * 900 + "]" * 900 + "\n"
    with pytest.raises(DeckError) as err:
        parse_deck(text, "deep.yaml")
    assert str(err.value) == (
        "deep.yaml:7: lists and mappings nested more than 32 deep; a deck needs a few levels"
    )


def test_block_nesting_deeper_than_the_limit_is_refused_not_a_recursion_error(
    tmp_path: Path,
) -> None:
    """The line reader (`_Fast`) reads a block mapping or list by a call per level: 3,000
    levels of `k:` ended in a RecursionError's traceback from `check`, `due`, `list` and
    `study` (round 18's torture); the bound is the exact path's, 32 levels pass, 33 do not."""
    for levels, kind in itertools.product((3000, 33), ("k:", "-")):
        text = "".join("  " * i + kind + "\n" for i in range(levels))
        with pytest.raises(DeckError) as err:
            parse_deck(text, "deep.yaml")
        assert str(err.value) == (
            "deep.yaml:33: lists and mappings nested more than 32 deep; a deck needs a few levels"
        )
    text = "topic: deep\ntitle: Deep\ncards:\n- id: deep-1\n  question: q\n  answer: a\n"
    text += "  extra:\n" + "".join("  " * i + "    k:\n" for i in range(28))
    with pytest.raises(DeckError) as err:  # 32 levels are read, and refused as a card's
        parse_deck(text, "ok.yaml")
    assert "nested more than" not in str(err.value)
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "deep.yaml").write_text("".join("  " * i + "k:\n" for i in range(3000)))
    result = CliRunner().invoke(app, ["check", "--decks", str(decks)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "deep.yaml:33: lists and mappings nested more than 32 deep" in result.output


_FORK_CHECK = """
import _thread, threading, time
from dlcards.cores import can_fork
alone = can_fork()
_thread.start_new_thread(time.sleep, (5,))  # a thread `threading` did not start
time.sleep(0.1)
print(alone, threading.active_count(), can_fork())
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="the system counts no threads")
def test_no_fork_while_a_thread_threading_does_not_know_runs() -> None:
    """Workers are forked only with one thread in the process: a thread a C library or
    `_thread` started is not in `threading.active_count()` (1 here), and a fork beside it
    could deadlock the child (Python 3.13 warned of forks in xdist's workers)."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", _FORK_CHECK],
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert done.stdout.split() == ["True", "1", "False"], done.stdout


@pytest.mark.fresh_db  # a first run: no default database or cache yet
def test_many_changed_deck_files_are_parsed_by_a_pool_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above PARALLEL_BYTES the changed files are parsed in worker processes (and their cache
    entries written there): the catalog, the cache and the first broken file reported are the
    ones a one-by-one parse gives."""
    from dlcards import catalog as cat

    decks = tmp_path / "decks"
    decks.mkdir()
    for n in range(4):
        cards = "".join(
            f"  - id: t{n}-{i}\n    question: What is {i} + {n}?\n    answer: ${i + n}$\n"
            for i in range(1, 31)
        )
        (decks / f"t{n}.yaml").write_text(
            f"topic: t{n}\ntitle: Deck {n}\ncards:\n{cards}", encoding="utf-8"
        )
    h.settled(*decks.iterdir())
    serial = load_catalog([decks], use_cache=False)
    monkeypatch.setattr(cat, "PARALLEL_BYTES", 0)
    pooled = []
    real = cat._read_decks

    def spy(
        files: list[Path], stamps: dict[Path, str], cache: Path | None, digests: bool
    ) -> tuple[dict[Path, object], bool]:
        pooled.append(len(files))
        return real(files, stamps, cache, digests)

    monkeypatch.setattr(cat, "_read_decks", spy)
    parallel = load_catalog([decks])
    assert pooled[0] == len(serial.infos)  # every file was new
    assert parallel.cards == serial.cards
    assert parallel.infos == serial.infos  # the index's facts, made by the workers
    again = load_catalog([decks])  # from the cache the workers wrote
    assert pooled[-1] == 0 and again.cards == serial.cards
    broken = sorted(decks.glob("*.yaml"))
    broken[1].write_text("topic: [\n", encoding="utf-8")
    broken[3].write_text("nonsense", encoding="utf-8")
    with pytest.raises(DeckError, match=broken[1].name):
        load_catalog([decks])


def _hash_by_parts(parts: list[str]) -> str:
    import hashlib

    h = hashlib.sha1(usedforsecurity=False)
    for part in parts:
        h.update(part.encode())
    return h.hexdigest()[:16]


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=200, deadline=None)
@given(
    question=_text,
    answer=_text,
    erratum=st.none() | _text,
    note=st.none() | _text,
    source_question=st.none() | _text,
    references=st.lists(_text, max_size=3),
    tags=st.lists(st.text("abc-", min_size=1, max_size=5), max_size=3),
)
def test_content_and_search_hashes_are_the_digests_stored_so_far(
    question: str,
    answer: str,
    erratum: str | None,
    note: str | None,
    source_question: str | None,
    references: list[str],
    tags: list[str],
) -> None:
    """Databases hold these digests: they must stay those of the parts fed one by one (the
    original code, here), or every card would look edited at the next sync."""
    from dlcards.store.rows import search_fields, search_hash

    card = Card(
        id="x-1", topic="x", question=question, answer=answer, erratum=erratum, note=note,
        source_question=source_question, references=tuple(references), tags=tuple(tags),
    )  # fmt: skip
    parts = [f"{p}\x00" for p in (question, answer, erratum or "")]
    extras = [("note", note), ("source_question", source_question)]
    extras += [("reference", r) for r in references]
    parts += [f"{name}\x1f{value}\x00" for name, value in extras if value]
    assert card.content_hash == _hash_by_parts(parts)
    fields = search_fields(card)
    assert search_hash(fields) == _hash_by_parts([f"{f}\x00" for f in fields])


@pytest.mark.parametrize(
    ("card_id", "content", "search"),
    [
        ("perceptron-1", "d3df51d924a76ac1", "b4dc61ed2a92b717"),
        ("mlp-28", "f618338a205126f2", "08f27bf4bba2ba3b"),
        ("vgp-9", "f77d6dbeb4736f76", "fe2ea7215db3b1a2"),  # vgp-10 got a note: now edited
    ],
)
def test_built_in_cards_keep_their_stored_digests(card_id: str, content: str, search: str) -> None:
    """The digests the earlier code stored for three built-in cards (computed by it)."""
    from dlcards.store.rows import search_fields, search_hash

    card = next(c for c in load_catalog().cards if c.id == card_id)
    assert (card.content_hash, search_hash(search_fields(card))) == (content, search)


# The usual card's short path gives what the checks give ------------------------------------

_field_values = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["", " ", "ok", "a-1", "A", "x.y", "-x", "math", "math"]),
    st.integers(-3, 3),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(st.sampled_from(["math", "math", "a_b", "Bad", "", 1, None]), max_size=4),
)


@settings(max_examples=500, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["id", "question", "answer", "tags", "source", "note", "compute"]),
        _field_values,
    )
)
def test_usual_card_path_gives_what_the_checks_give(fields: dict[str, object]) -> None:
    from dlcards import deck
    from dlcards.yamlload import _Map, _Seq

    raw = _Map()
    raw.line, raw.key_lines = 7, {}
    for n, (key, value) in enumerate(fields.items()):
        if isinstance(value, list):
            value = _Seq(value)
            value.line = 8 + n
        raw[key], raw.key_lines[key] = value, 8 + n
    ctx = deck._Ctx("d.yaml")
    usual = deck._usual_card(ctx, raw, "t")
    try:
        checked: object = deck._checked_card(ctx, raw, "t", 0, 3)
    except DeckError as err:
        checked = err
    if usual is not None:
        assert usual == checked


def test_usual_card_path_is_taken_for_the_usual_card() -> None:
    text = "topic: t\ntitle: T\ncards:\n- id: a\n  question: q\n  answer: a\n  tags: [x, x]\n"
    from dlcards import deck
    from dlcards.yamlload import load_yaml

    raw = load_yaml(text, "d.yaml")["cards"][0]
    card = deck._usual_card(deck._Ctx("d.yaml"), raw, "t")
    assert card is not None and card.tags == ("x",) and card.source is None and card.line == 4


def test_duplicate_id_across_decks_is_found_when_one_deck_comes_from_the_cache(
    tmp_path: Path,
) -> None:
    """check_merge's quick test (the union of ids as long as the decks) must not hide a
    duplicate whose first deck is read from the cache's index."""
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("topic: a\ntitle: A\ncards:\n- id: x-1\n  question: q\n  answer: a\n")
    second.write_text("topic: b\ntitle: B\ncards:\n- id: y-1\n  question: q\n  answer: a\n")
    assert {"x-1", "y-1"} <= set(load_catalog([first, second]).by_id())  # both cached now
    second.write_text(
        "topic: b\ntitle: B\ncards:\n- id: y-1\n  question: q\n  answer: a\n"
        "- id: x-1\n  question: q2\n  answer: a2\n"
    )
    with pytest.raises(DeckError, match=r"b\.yaml:7: card x-1: duplicate id, already used at"):
        load_catalog([first, second])
    assert "x-1" in load_catalog([first]).by_id()  # the index still reads after the error


def test_one_anki_guid_in_two_deck_files_is_one_line_naming_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two files' cards with one `anki_guid` were not checked (one file's two were): `export
    anki` wrote two notes with one GUID (Anki updates the first with the second) and an
    import gave both notes' reviews to one card. It is a deck error naming both cards and
    files, whether both decks are parsed, or one comes from the cache's index (checked apart
    before) and the other is saved with the other's GUID."""
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(
        "topic: a\ntitle: A\ncards:\n- id: a-1\n  question: q\n  answer: a\n  anki_guid: 'g1'\n"
    )
    b = "topic: b\ntitle: B\ncards:\n- id: b-0\n  question: q\n  answer: a\n"
    b += "- id: b-1\n  question: q2\n  answer: a2\n  anki_guid: "
    second.write_text(b + "'g2'\n")
    monkeypatch.setenv("DLCARDS_CACHE_DIR", str(tmp_path / "kept"))
    assert {"a-1", "b-1"} <= set(load_catalog([first, second]).by_id())  # both cached now
    second.write_text(b + "'g1'\n")
    expected = (
        f"{second}:7: card b-1: anki_guid 'g1' is also card a-1's, at {first}:4; each card "
        "is its own Anki note: take the key out of one of them"
    )
    for cache in ("kept", "fresh"):
        monkeypatch.setenv("DLCARDS_CACHE_DIR", str(tmp_path / cache))
        with pytest.raises(DeckError) as info:
            load_catalog([first, second])
        assert str(info.value) == expected
    assert "a-1" in load_catalog([first]).by_id()  # each alone is a good deck
    assert "b-1" in load_catalog([second]).by_id()


def test_a_cache_entry_of_another_version_of_the_deck_is_not_used(tmp_path: Path) -> None:
    """The index and a deck's entry are separate files written without fsync: after a crash
    the index may name the file as it is now while the entry holds an older version. The entry
    carries the stamp it was made from, and is used only for that stamp."""
    import dlcards.catalog as cat

    deck = tmp_path / "a.yaml"
    deck.write_text("topic: a\ntitle: A\ncards:\n- id: x-1\n  question: old\n  answer: a\n")
    load_catalog([deck])
    entry = cat.cache_dir() / "decks" / f"{cat._key(deck.resolve())}.json"
    old, was = entry.read_bytes(), read_cache_json(entry)
    deck.write_text("topic: a\ntitle: A\ncards:\n- id: x-1\n  question: new\n  answer: a\n")
    load_catalog([deck])
    entry.write_bytes(old)  # the crash: the index is new, the entry old
    assert isinstance(was, dict) and was["stamp"] != cat._stamp(deck)
    assert load_catalog([deck]).card("x-1").question == "new"


def test_deck_values_cross_processes_with_their_defaults() -> None:
    """Parsed decks come back from the parse workers pickled: every value type, defaults and
    all, pickles to an equal value."""
    import pickle

    from dlcards.deck import Card, Compute, Deck, Quiz

    card = Card(
        id="c-1", topic="t", question="q", answer="a", compute=(Compute(fn="f"),), quiz=Quiz("x")
    )
    deck = Deck(topic="t", title="T", cards=(card, Card("c-2", "t", "q", "a")), path="t.yaml")
    assert pickle.loads(pickle.dumps(deck)) == deck


def test_two_deck_files_whose_cache_keys_collide_each_get_their_own_cards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache names a deck file by a 64-bit checksum of its path, not a cryptographic
    hash: each index entry and cached deck names its file, and one of another file is parsed
    again, never shown as this one's. Here every path shares one key, and two decks of the
    same size and modification time take turns in it (with the built-in decks)."""
    import os

    import dlcards.catalog as cat

    monkeypatch.setattr(cat, "_key", lambda real: "0" * 16)
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("topic: a\ntitle: A\ncards:\n- {id: a-1, question: qa, answer: x}\n")
    b.write_text("topic: b\ntitle: B\ncards:\n- {id: b-1, question: qb, answer: x}\n")
    os.utime(b, ns=(a.stat().st_mtime_ns, a.stat().st_mtime_ns))
    for _ in range(2):  # the second time, each run finds the other's entry under the key
        assert load_catalog([a]).card("a-1").question == "qa"
        assert load_catalog([b]).card("b-1").question == "qb"
    both = load_catalog([a, b])
    assert (both.card("a-1").question, both.card("b-1").question) == ("qa", "qb")
    assert both.card("gd-23").question.startswith("If a dataset has 320 rows")
    assert len(both.cards) == len(load_catalog(()).cards) + 2


def test_the_cache_key_is_a_checksum_of_the_path(tmp_path: Path) -> None:
    import dlcards.catalog as cat

    key = cat._key(tmp_path / "a.yaml")
    assert len(key) == 16 and key != cat._key(tmp_path / "b.yaml")
    assert key == cat._key(tmp_path / "a.yaml")  # the same in every process (not hash())


def test_a_deck_whose_name_is_not_utf8_is_one_line_for_every_command(tmp_path: Path) -> None:
    """A deck file (or a --decks folder) whose name has bytes that are not UTF-8: every
    command says so in one line naming it as its bytes, exit 2 (the cache, the database and
    the screen keep names as UTF-8: it was a traceback from the cache's index)."""
    import subprocess
    import sys

    text = "topic: mine\ntitle: Mine\ncards:\n  - id: mine-1\n    question: Q?\n    answer: A.\n"
    folder = tmp_path / "wn"
    folder.mkdir()
    (folder / os.fsdecode(b"caf\xe9.yaml")).write_text(text)
    odd = Path(os.fsdecode(os.fsencode(tmp_path) + b"/dk\xe9"))
    odd.mkdir()
    (odd / "mine.yaml").write_text(text)
    for decks, shown in ((folder, "wn/caf\\xe9.yaml"), (odd, "dk\\xe9/mine.yaml")):
        for args in (["topics"], ["due"], ["due", "--count"], ["show", "mine-1"], ["check"]):
            result = subprocess.run(
                [sys.executable, "-m", "dlcards", *args, "--decks", str(decks)],
                capture_output=True,
                stdin=subprocess.DEVNULL,
            )
            err = result.stderr.decode("utf-8", "replace")
            assert result.returncode == 2, (args, err)
            assert err.count("\n") == 1 and "Traceback" not in err
            assert f"{shown} has a name that is not UTF-8 text; rename it" in err


CONTROL_DECK = """\
topic: ctl
title: Ctl
cards:
  - id: ctl-1
    question: What is $\\beta$?
    answer: "A tab\\tand a newline\\nare text."
{card}"""


@pytest.mark.parametrize(
    ("card", "line", "where", "said"),
    [
        # "\beta" in double quotes: YAML's backspace escape, then "eta" (shown as "x08eta")
        ('    answer: "$\\beta$"', 9, "answer", 'backspace, from "\\b" in double quotes'),
        ('    answer: A.\n    erratum: "x\\ay"\n    references: [B]', 10, "erratum",
         'bell, from "\\a" in double quotes'),
        ('    answer: "\\e[31mred"', 9, "answer", 'escape, from "\\e" in double quotes'),
        ('    answer: "\\frac{1}{2}"', 9, "answer", 'form feed, from "\\f" in double quotes'),
        ('    answer: "a\\x7fb"', 9, "answer", 'delete, from "\\x7f" in double quotes'),
        ('    answer: "a\\x01b"', 9, "answer", 'U+0001, from "\\x01" in double quotes'),
        ('    answer: "a\\x9bb"', 9, "answer", 'U+009B, from "\\x9b" in double quotes'),
        ('    answer: "a\\rb"', 9, "answer", 'carriage return, from "\\r" in double quotes'),
        ('    answer: A.\n    note: "\\0"\n    references: [B]', 10, "note", "null"),
        ('    answer: A.\n    source: "s\\vt"', 10, "source", "vertical tab"),
        ('    answer: A.\n    note: N.\n    references: ["x\\by"]', 11, "references", "backspace"),
        ('    answer: A.\n    tags: [math]\n    note: N.\n    references: [B]\n'
         '    compute: {fn: perceptron_loss, args: {w: [1], b: 0, x: [1], y: 1}, label: "\\b"}',
         13, "compute", "backspace"),
    ],
)  # fmt: skip
def test_a_control_character_in_deck_text_is_an_error(
    tmp_path: Path, card: str, line: int, where: str, said: str
) -> None:
    """A double-quoted YAML string reads `\\b` as a backspace: "$\\beta$" became a backspace
    and "eta", and `show` drew it as "x08eta" inside the math. Such a character (\\x00-\\x1f
    but tab and newline, \\x7f, \\x80-\\x9f) is now refused where the deck is read: one line
    naming the file, the line, the card and the field, and what to write instead; `check` and
    `show` exit 2 with it, no traceback."""
    from typer.testing import CliRunner

    from dlcards.cli import app

    deck = tmp_path / "ctl.yaml"
    deck.write_text(
        CONTROL_DECK.format(card=f"  - id: ctl-2\n    question: Q?\n{card}\n"), encoding="utf-8"
    )
    with pytest.raises(DeckError) as caught:
        parse_deck(deck.read_text(encoding="utf-8"), str(deck))
    message = str(caught.value)
    assert message.startswith(f"{deck}:{line}: card ctl-2: field '{where}'"), message
    assert f"a control character ({said}" in message, message
    assert "or use single quotes" in message and "\n" not in message
    for args in (["check", "--decks", str(deck)], ["show", "ctl-1", "--decks", str(deck)]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr == f"error: {message}\n", args


def test_the_control_character_error_says_how_to_write_the_backslash() -> None:
    card = '  - id: gd-3\n    question: "What is \\beta?"\n    answer: A.\n'
    text = CONTROL_DECK.format(card=card)
    with pytest.raises(DeckError) as caught:
        parse_deck(text, "decks/x.yaml")
    assert str(caught.value) == (
        "decks/x.yaml:8: card gd-3: field 'question' has a control character (backspace, "
        'from "\\b" in double quotes); write \\\\b for a backslash and b, or use single quotes'
    )
    # the same text written as the error says loads, with the backslash
    fixed = text.replace('"What is \\beta?"', '"What is \\\\beta?"')
    assert parse_deck(fixed, "decks/x.yaml").cards[1].question == "What is \\beta?"
    single = text.replace('"What is \\beta?"', "'What is \\beta?'")
    assert parse_deck(single, "decks/x.yaml").cards[1].question == "What is \\beta?"
    # tabs and newlines are text, as before
    assert parse_deck(text.split("  - id: gd-3")[0], "x").cards[0].answer == (
        "A tab\tand a newline\nare text."
    )


def test_the_built_in_decks_hold_no_control_character() -> None:
    """They load (so none holds one), and none is written in a way that would."""
    from dlcards.catalog import deck_files, read_deck

    files = deck_files([])
    assert files
    for file in files:
        deck = read_deck(file)
        for card in deck.cards:
            for text in (card.question, card.answer, card.note or "", card.erratum or ""):
                assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", text), card.id


@settings(max_examples=40)
@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.lists(st.sampled_from(["p", "q", "r", "s"]), max_size=3)),
        min_size=1,
        max_size=8,
    )
)
def test_ids_in_two_decks_are_found_whatever_was_checked_before(
    saves: list[tuple[int, list[str]]],
) -> None:
    """check_merge compares the ids of decks read from the cache's index with each other only
    when their entries were checked together as they are (`apart`): through any order of
    saves, an id in two decks is found exactly when there is one, as a catalog with no cache
    finds it."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = [root / f"d{i}.yaml" for i in range(3)]
        ids: list[list[str]] = [[f"own{i}"] for i in range(3)]
        before = os.environ.get("DLCARDS_CACHE_DIR")

        def save(i: int, version: int) -> None:
            cards = "".join(f"- id: {c}\n  question: q\n  answer: a\n" for c in ids[i])
            files[i].write_text(f"topic: t{i}\ntitle: T\ncards:\n{cards}", encoding="utf-8")
            os.utime(files[i], ns=(0, (version + 1) * 10**18))  # a new stamp each save

        for i in range(3):
            save(i, 0)
        try:
            for version, (i, shared) in enumerate(saves, start=1):
                ids[i] = [f"own{i}", *dict.fromkeys(shared)]
                save(i, version)
                everywhere = [c for deck in ids for c in deck]
                twice = len(set(everywhere)) != len(everywhere)
                results = []
                for cache in ("kept", f"fresh{version}"):
                    os.environ["DLCARDS_CACHE_DIR"] = str(root / cache)
                    try:
                        load_catalog(files=files)
                        results.append(False)
                    except DeckError as err:
                        assert "duplicate id" in str(err)
                        results.append(True)
                assert results == [twice, twice]
        finally:
            if before is None:
                os.environ.pop("DLCARDS_CACHE_DIR", None)
            else:
                os.environ["DLCARDS_CACHE_DIR"] = before


def test_a_card_is_found_by_its_id_not_by_a_walk_of_its_deck() -> None:
    """`Catalog.card` is asked once per id by `suspend ID...`, `search --json` (every hit) and
    `list --leeches`: it walked the deck's cards each time, so 10,000 ids in decks of 2,000
    cards took 3 s of CPU, 40,000 hits 18 s. Each deck's cards are now walked once, and every
    id still finds its own card (`cards_of` too); an id no deck has is still refused."""
    from dlcards.catalog import Catalog
    from dlcards.deck import Deck

    walks: list[str] = []

    class Walked(tuple):  # type: ignore[type-arg]
        def __iter__(self):  # type: ignore[no-untyped-def]
            walks.append("walk")
            return super().__iter__()

    real = load_catalog()

    def load(info: Any) -> Deck:
        deck = real.deck(info.topic)
        return deck._replace(cards=Walked(deck.cards))

    catalog = Catalog(real.infos, load)
    ids = catalog.ids(["gd"])
    assert len(ids) > 10
    found = [catalog.card(cid) for cid in ids]
    assert [c.id for c in found] == ids
    assert [c.question for c in found] == [c.question for c in real.deck("gd").cards]
    assert [c.id for c in catalog.cards_of(list(reversed(ids)))] == list(reversed(ids))
    assert len(walks) <= 1, f"the deck's cards were walked {len(walks)} times for {len(ids)} ids"
    with pytest.raises(UsageError, match="unknown card id 'gd-99999'"):
        catalog.card("gd-99999")


def test_an_unknown_tag_is_told_from_the_decks_index_without_loading_a_deck(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`study --tag mathh` and `search tag:mathh` loaded every deck (100,000 cards: ~1 s) to
    list the known tags in the error. The index keeps each deck's tags: the tags listed are
    every card's (here, from the cards themselves), no deck loaded, from a fresh index and
    from one read back; a tag only under another (`ml` of `ml::cnn`) is still known."""
    from dlcards.catalog import Catalog

    monkeypatch.setenv("DLCARDS_CACHE_DIR", str(tmp_path / "cache"))
    built = load_catalog()  # parses the decks, writes the index
    expected = sorted({tag for card in built.cards for tag in card.tags})
    assert expected
    for real in (built, load_catalog()):  # the second from the index
        loads: list[str] = []

        def load(info: Any, real: Any = real, loads: list[str] = loads) -> Any:
            loads.append(info.topic)
            return real.deck(info.topic)

        catalog = Catalog(real.infos, load)
        assert catalog.tags() == expected
        with pytest.raises(UsageError, match="unknown tag 'mathh'") as caught:
            catalog.check_tag("mathh")
        assert ", ".join(expected) in str(caught.value)
        catalog.check_tag(expected[0])
        assert loads == []


@pytest.mark.parametrize(
    "written",
    ["12:30", "0.50", "3.14159265358979323846", "0x10", "010", "1_000", "1.0e-3", ".inf", "+5"],
)
def test_a_number_in_a_cards_text_is_kept_as_written(written: str, tmp_path: Path) -> None:
    """YAML 1.1 reads a plain `12:30` as the int 750, `0.50` as 0.5, `010` as 8, and a long
    decimal as a float cut to 17 digits: a card's text is what the learner wrote, not what a
    number reads back as (`answer: 12:30` was studied as "750"). Each reader of a deck (the
    line reader, libyaml's events, a flow mapping, a card read again alone after an edit)."""
    plain = (
        f"topic: nm\ntitle: N\ncards:\n  - id: nm-1\n    question: {written}\n"
        f"    answer: {written}\n    note: {written}\n"
    )
    head = "topic: nm\ntitle: N\ncards:\n"
    flow = head + f"  - {{id: nm-1, question: {written}, answer: {written}}}\n"
    events = (  # a comment after a value: libyaml's events read the file
        f"topic: nm  # c\ntitle: N\ncards:\n- id: nm-1\n  question: {written}\n"
        f"  answer: {written}\n"
    )
    for text in (plain, flow, events):
        [card] = parse_deck(text, "nm.yaml").cards
        assert (card.question, card.answer) == (written, written), text
    assert parse_deck(plain, "nm.yaml").cards[0].note == written
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "nm.yaml").write_text(plain, encoding="utf-8")
    result = runner.invoke(app, ["show", "nm-1", "--json", "--decks", str(decks)])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert (shown["question"], shown["answer"]) == (written, written)
    # edited: the changed card alone is read again (`reparse_deck`), its number as written
    (decks / "nm.yaml").write_text(plain + "  - id: nm-2\n    question: q\n    answer: a\n")
    assert runner.invoke(app, ["list", "--decks", str(decks)]).exit_code == 0
    (decks / "nm.yaml").write_text(
        plain.replace(f"answer: {written}", f"answer: {written}0") + "  - id: nm-2\n"
        "    question: q\n    answer: a\n"
    )
    result = runner.invoke(app, ["show", "nm-1", "--json", "--decks", str(decks)])
    assert json.loads(result.output)["answer"] == f"{written}0"


@pytest.mark.parametrize(
    ("value", "fix"),
    [
        ("question: What is x: y?", "a value holding ': ' goes in quotes"),
        ('question: "$\\sigma(x)$"', "in double quotes a backslash starts an escape"),
        ("question: Q\n\tnote: tabbed", "indent with spaces, not tabs"),
        # Markdown (or YAML's own characters) at the start of a value: quoted, from the text
        ("question: `relu` is a function", "question: '`relu` is a function'"),
        ("question: @home", "question: '@home'"),
        ("question: - x", "question: '- x'"),
        ("question: *emphasis* first", "question: '*emphasis* first'"),
        ("question: **bold** first", "question: '**bold** first'"),
        ("question: ![diagram](media/x.png) What?", "question: '![diagram](media/x.png) What?'"),
        ("question: [a link](https://x.org) first", "question: '[a link](https://x.org) first'"),
        ("question: > a quote", "question: '> a quote'"),
        ('question: "Quoted" and more, it\'s', "question: '\"Quoted\" and more, it''s'"),
    ],
)
def test_a_syntax_error_a_cards_text_makes_says_what_to_write(
    value: str, fix: str, tmp_path: Path
) -> None:
    """What a learner types in a card (a `: ` in a question, LaTeX in double quotes, a tab from
    the editor, Markdown's `*emphasis*`, `![image]`, `[link]` or a code span at the start of a
    value) was PyYAML's problem alone ("found character that cannot start any token", "did not
    find expected key", "YAML alias *emphasis is not allowed; write the value out", "unknown
    YAML tag ![diagram]; remove it"): the line says what to write instead, the value quoted
    from the learner's own text, in `check` and `add` alike."""
    deck = tmp_path / "d.yaml"
    deck.write_text(f"topic: dd\ntitle: D\ncards:\n  - id: dd-1\n    {value}\n    answer: A\n")
    result = runner.invoke(app, ["check", "--decks", str(deck)])
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
    assert "YAML syntax error" in result.output and fix in " ".join(result.output.split())
    from dlcards.deckedit import check_template

    with pytest.raises(DeckError, match=re.escape(fix)):
        check_template(f"{value}\nanswer: A\n", "dd", "dd-2", "dd-2.yaml")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("answer: #1", "field 'answer' is empty: #1 after it is a YAML comment; a value that "
         "starts with # goes in quotes: answer: '#1'"),
        ("answer: A\n    note: # it's a note", "field 'note' is empty: # it's a note after it "
         "is a YAML comment; a value that starts with # goes in quotes: note: '# it''s a note'"),
    ],
)  # fmt: skip
def test_a_value_that_starts_with_a_hash_is_said_to_be_a_comment(
    value: str, message: str, tmp_path: Path
) -> None:
    """`answer: #1` is an empty answer and a comment to YAML: "field 'answer' is empty" when
    the learner wrote one; an optional field (`note: # ...`) was left out without a word."""
    deck = tmp_path / "d.yaml"
    deck.write_text(f"topic: dd\ntitle: D\ncards:\n  - id: dd-1\n    question: Q\n    {value}\n")
    result = runner.invoke(app, ["check", "--decks", str(deck)])
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
    assert message in " ".join(result.output.split())
