"""A deck file saved again is parsed by its changed cards only (`deck.reparse_deck`, used by
the catalog with the deck cache): what that gives is what parsing the whole new text gives,
card for card, line for line; and where it cannot tell, it gives nothing and the whole text is
parsed (which also says what is wrong)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from dlcards import catalog, yamlload
from dlcards.deck import Chunks, Deck, parse_deck, parse_deck_chunked, reparse_deck
from dlcards.errors import DeckError

pytestmark = pytest.mark.no_files  # pure code but for the last tests, which use tmp_path

ROOT = Path(__file__).resolve().parent.parent

HEADER = "topic: t\ntitle: A topic\ndescription: What it is about.\ncards:\n"

WORDS = st.sampled_from(
    ["loss", "step", "a: b", "x #1", "don't", 'say "hi"', "\\(x\\)", "$w$", "tanh", "-1", "yes"]
)


def _double(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _single(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@st.composite
def card_texts(draw: st.DrawFn, n: int) -> str:
    """One card's lines (after its `- `), in one of the shapes decks are written in."""
    words = " ".join(draw(st.lists(WORDS, min_size=1, max_size=4)))
    question = draw(st.sampled_from([_double, _single]))(f"Q{n} {words}?")
    drawn = draw(st.integers(0, 12))
    answer_style = 3 if drawn == 12 else drawn % 3  # a block scalar now and then
    if answer_style == 0:
        answer = _double(f"A{n} {words}")
    elif answer_style == 1:  # single-quoted over two lines, as PyYAML writes long ones
        answer = f"'A{n} first part\n    and the rest'"
    elif answer_style == 2:  # plain over two lines
        answer = f"Answer {n} in words\n    more words"
    else:  # a block scalar: the line reader leaves it to libyaml's events
        answer = f"|\n    Answer {n}\n    second line"
    lines = [f"id: t-{n}", f"  question: {question}", f"  answer: {answer}"]
    tags = draw(st.sampled_from(["", "  tags: [math, optim]", "  tags:\n  - math\n  - relu"]))
    if tags:
        lines.append(tags)
    if draw(st.booleans()):
        lines.append(f"  source: {_single('Sheet ' + str(n))}")
    text = "\n".join(lines)
    after = draw(st.sampled_from(["", "\n", "\n# a comment\n", "\n  # indented comment", "\n\n"]))
    return text + after


@st.composite
def decks(draw: st.DrawFn) -> list[str]:
    count = draw(st.integers(1, 7))
    return [draw(card_texts(n)) for n in range(1, count + 1)]


def _text(cards: list[str], header: str = HEADER) -> str:
    return header + "".join(f"- {card}\n" for card in cards)


EDITS = st.sampled_from(
    [
        "answer",
        "insert",
        "delete",
        "swap",
        "duplicate",
        "title",
        "key after",
        "comment",
        "broken",
        "indent",
        "nothing",
        "char",
    ]
)


@st.composite
def edited(draw: st.DrawFn, cards: list[str]) -> str:
    """The deck's text after one edit of the kind learners make (or a slip)."""
    cards = list(cards)
    edit = draw(EDITS)
    k = draw(st.integers(0, len(cards) - 1))
    header = HEADER
    if edit == "answer":
        cards[k] = cards[k].replace("A", "An edited A", 1).replace("Answer", "Edited", 1)
    elif edit == "insert":
        cards.insert(k, draw(card_texts(99)))
    elif edit == "delete" and len(cards) > 1:
        del cards[k]
    elif edit == "swap" and len(cards) > 1:
        cards[0], cards[-1] = cards[-1], cards[0]
    elif edit == "duplicate":
        cards.insert(k, cards[k])
    elif edit == "title":
        header = HEADER.replace("A topic", "Another topic")
    elif edit == "key after":
        return _text(cards) + "extra: 1\n"
    elif edit == "comment":
        cards[k] += "\n# a note to self\n"
    elif edit == "broken":
        cards[k] = cards[k].replace("question:", "qestion:", 1)
    elif edit == "indent":
        cards[k] = cards[k].replace("\n  answer", "\n answer", 1)
    text = _text(cards, header)
    if edit == "char":
        at = draw(st.integers(0, len(text)))
        slip = draw(st.sampled_from(["x", "\n", "- ", '"', ":", " ", "&a "]))
        text = text[:at] + slip + text[at:]
    return text


def _as_cached(deck: Deck) -> Deck:
    """The deck as the cache gives it back (a JSON round trip), which is what a parse again
    starts from."""
    data = json.loads(json.dumps(catalog._deck_to_json(deck, Path("/x/t.yaml"), "s")))
    return catalog._deck_from_json(data, deck.path, "s")


def _whole(text: str) -> tuple[Deck, Chunks | None] | str:
    try:
        return parse_deck_chunked(text, "t.yaml")
    except DeckError as err:
        return str(err)


@given(st.data())
def test_a_deck_parsed_again_is_the_deck_parsed_whole(data: st.DataObject) -> None:
    cards = data.draw(decks())
    old_text = _text(cards)
    old, chunks = parse_deck_chunked(old_text, "t.yaml")
    new_text = data.draw(edited(cards))
    whole = _whole(new_text)
    if chunks is None:
        event("no digests: parsed whole")
        return
    again = reparse_deck(new_text, "t.yaml", _as_cached(old), chunks)
    event("parsed again by its cards" if again is not None else "left to the whole parse")
    if again is not None:
        assert not isinstance(whole, str), whole  # a deck the whole parse refuses: none
        assert again == whole


def _plain_deck(n: int, answer: str = "An answer") -> str:
    return _text(
        [f'id: t-{i}\n  question: "Q{i}?"\n  answer: "{answer} {i}"\n' for i in range(1, n + 1)]
    )


def test_only_the_changed_card_is_read_and_the_rest_move_to_their_new_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old, chunks = parse_deck_chunked(_plain_deck(5), "t.yaml")
    assert chunks is not None
    new_text = _plain_deck(5).replace('"Q2?"', '"Q2, longer?"\n  tags: [math]')
    read: list[int] = []
    fast_item = yamlload.fast_item

    def counted(item: str, line: int) -> object:
        read.append(line)
        return fast_item(item, line)

    monkeypatch.setattr(yamlload, "fast_item", counted)
    again = reparse_deck(new_text, "t.yaml", _as_cached(old), chunks)
    assert again is not None
    deck, _ = again
    assert read == [deck.cards[1].line]  # card t-2 alone was read
    assert deck == parse_deck(new_text, "t.yaml")
    assert [c.line for c in deck.cards][2:] == [c.line + 1 for c in old.cards][2:]


@pytest.mark.parametrize(
    "change",
    [
        ("topic: t", "topic: u"),  # the text before the cards
        ('"An answer 3"', "|\n    block"),  # a card the line reader leaves to libyaml
        ("t-4", "t-2"),  # an id twice
        ('"Q3?"', '"Q3?" # comment'),  # a comment after a value: libyaml's
    ],
)
def test_what_it_cannot_tell_is_left_to_the_whole_parse(change: tuple[str, str]) -> None:
    old, chunks = parse_deck_chunked(_plain_deck(5), "t.yaml")
    assert chunks is not None
    new_text = _plain_deck(5).replace(*change, 1)
    assert reparse_deck(new_text, "t.yaml", _as_cached(old), chunks) is None


def test_a_deck_the_line_reader_cannot_read_whole_keeps_no_digests() -> None:
    text = _plain_deck(3).replace('"An answer 2"', "|\n    block")
    assert parse_deck_chunked(text, "t.yaml")[1] is None
    # a key after the list: its text would be part of the last card's
    late = _plain_deck(3).replace("description: What it is about.\n", "") + "description: x\n"
    deck, chunks = parse_deck_chunked(late, "t.yaml")
    assert deck.description == "x" and chunks is None


def test_the_catalog_parses_a_saved_deck_by_its_changed_cards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the deck cache: the entry of the file's last version is what the parse starts
    from, its new entry keeps the new digests; an entry of another dlcards is not used."""
    file = (tmp_path / "t.yaml").resolve()
    cache = tmp_path / "cache"
    file.write_text(_plain_deck(40), encoding="utf-8")
    first, _ = catalog._read_and_cache(file, catalog._stamp(file), cache)
    read: list[int] = []
    fast_item = yamlload.fast_item
    monkeypatch.setattr(
        yamlload, "fast_item", lambda item, line: read.append(line) or fast_item(item, line)
    )
    file.write_text(_plain_deck(40).replace("An answer 7", "Fixed"), encoding="utf-8")
    os.utime(file, ns=(0, 10**18))  # another version by its stamp, whatever the clock says
    again, _ = catalog._read_and_cache(file, catalog._stamp(file), cache)
    assert again == catalog.read_deck(file)
    assert read == [again.cards[6].line] and first.cards[6] != again.cards[6]
    # an entry written by another version of dlcards: its cards may parse otherwise
    entry = cache / f"{catalog._key(file)}.json"
    data = catalog.read_cache_json(entry)
    data["stamp"] = data["stamp"].replace(f":{catalog.__version__}:", ":0.0.1:")
    catalog.write_cache_json(entry, data)
    file.write_text(_plain_deck(40).replace("An answer 8", "Fixed"), encoding="utf-8")
    os.utime(file, ns=(0, 2 * 10**18))
    read.clear()
    assert catalog._read_and_cache(file, catalog._stamp(file), cache)[0] == catalog.read_deck(file)
    assert read == []  # parsed whole


@pytest.mark.parametrize(
    "edit",
    [
        ("An answer 7", "Fixed"),  # the text: each digest of the card
        ('"Q9?"', '"Q9?"\n  tags: [math]'),  # the tags: the search text's
        ('"Q3?"\n', '"Q3?"\n  source: Sheet 3\n'),  # the source: the exported note's
        ("- id: t-2\n", "- id: t-99\n"),  # another card
    ],
)
def test_the_digests_a_sync_compares_are_those_of_the_cards_as_they_are(
    tmp_path: Path, edit: tuple[str, str]
) -> None:
    """A deck parsed again carries over the sync digests (`catalog._sync_digests`) of the cards
    whose text did not change, and makes those of the others: each is what the card as
    parsed now gives. Made whether asked or not, once the entry has them."""
    file = (tmp_path / "t.yaml").resolve()
    cache = tmp_path / "cache"
    file.write_text(_plain_deck(12), encoding="utf-8")
    deck, digests = catalog._read_and_cache(file, catalog._stamp(file), cache, digests=True)
    assert digests == catalog._sync_digests(deck.cards, deck.title)
    for version, asked in enumerate((False, True), start=1):
        text = _plain_deck(12).replace(*edit)
        file.write_text(text + "# again\n" * version, encoding="utf-8")
        os.utime(file, ns=(0, version * 10**18))
        deck, digests = catalog._read_and_cache(file, catalog._stamp(file), cache, asked)
        assert deck == catalog.read_deck(file)
        assert digests == catalog._sync_digests(deck.cards, deck.title)
