"""Finding deck files, loading them (through a cache), and the merged catalog of all cards.

Built-in decks ship inside the package (`dlcards/decks/` in a wheel; `decks/` at the top of a
source checkout). Users add directories (or single files) with `--decks DIR` or `DLCARDS_DECKS`
(a path list). Files are taken in name order: built-in first, then each user path in the order
given. Deck order is study order for new cards.

Parsed decks are cached as JSON under the user cache directory, keyed by every deck file's path,
size and modification time, so commands run without parsing YAML when no deck changed.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dlcards import __version__
from dlcards.deck import Card, Compute, Deck, Quiz
from dlcards.errors import DeckError, UsageError

DECK_SUFFIXES = (".yaml", ".yml")


def builtin_decks_dir() -> Path:
    here = Path(__file__).resolve().parent
    shipped = here / "decks"
    if shipped.is_dir():
        return shipped
    return here.parent / "decks"  # a source checkout or an editable install


def user_deck_paths(extra: Sequence[str | Path] = ()) -> list[Path]:
    """User deck locations: `--decks` values first, then DLCARDS_DECKS entries."""
    paths = [Path(p) for p in extra]
    env = os.environ.get("DLCARDS_DECKS", "")
    paths += [Path(p) for p in env.split(os.pathsep) if p.strip()]
    return paths


def deck_files(extra: Sequence[str | Path] = ()) -> list[Path]:
    """Every deck file to load, built-in first. Raises UsageError for a missing user path."""
    files = sorted(
        p for p in builtin_decks_dir().iterdir() if p.suffix in DECK_SUFFIXES and p.is_file()
    )
    seen = {p.resolve() for p in files}
    for location in user_deck_paths(extra):
        if location.is_dir():
            found = sorted(
                p for p in location.iterdir() if p.suffix in DECK_SUFFIXES and p.is_file()
            )
        elif location.is_file():
            found = [location]
        else:
            raise UsageError(f"deck path {location} does not exist (from --decks or DLCARDS_DECKS)")
        for path in found:
            if path.resolve() not in seen:
                seen.add(path.resolve())
                files.append(path)
    return files


def files_signature(files: Iterable[Path]) -> str:
    """Changes whenever a deck file is added, removed or modified. Costs one stat per file."""
    parts = [__version__]
    for path in files:
        st = path.stat()
        parts.append(f"{path.resolve()}\x1f{st.st_size}\x1f{st.st_mtime_ns}")
    return "\x1e".join(parts)


@dataclass(frozen=True)
class Catalog:
    decks: tuple[Deck, ...]

    @property
    def cards(self) -> tuple[Card, ...]:
        return tuple(card for deck in self.decks for card in deck.cards)

    def by_id(self) -> dict[str, Card]:
        return {card.id: card for deck in self.decks for card in deck.cards}

    def topic_titles(self) -> dict[str, str]:
        return {deck.topic: deck.title for deck in self.decks}

    def card(self, card_id: str) -> Card:
        cards = self.by_id()
        if card_id in cards:
            return cards[card_id]
        close = difflib.get_close_matches(card_id, list(cards), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `dlcards list`"
        raise UsageError(f"unknown card id '{card_id}'{hint}")

    def check_topics(self, topics: Sequence[str]) -> None:
        known = self.topic_titles()
        for topic in topics:
            if topic not in known:
                close = difflib.get_close_matches(topic, list(known), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise UsageError(f"unknown topic '{topic}'{hint}; topics are: {', '.join(known)}")

    def select(self, topics: Sequence[str] = (), tag: str | None = None) -> list[Card]:
        """Cards of the given topics (all if none) carrying `tag` (any if None), in deck order."""
        self.check_topics(topics)
        chosen = set(topics)
        return [
            card
            for card in self.cards
            if (not chosen or card.topic in chosen) and (tag is None or tag in card.tags)
        ]


def merge(decks: Sequence[Deck]) -> Catalog:
    """Check ids and topics across files; raise DeckError naming both places on a clash."""
    ids: dict[str, Card] = {}
    topics: dict[str, Deck] = {}
    for deck in decks:
        if deck.topic in topics:
            other = topics[deck.topic]
            raise DeckError(
                f"{deck.path}:1: topic '{deck.topic}' is already defined by {other.path}; "
                "choose another topic slug"
            )
        topics[deck.topic] = deck
        for card in deck.cards:
            if card.id in ids:
                first = ids[card.id]
                raise DeckError(
                    f"{card.file}:{card.line}: card {card.id}: duplicate id, already used at "
                    f"{first.file}:{first.line}; ids must be unique across all decks"
                )
            ids[card.id] = card
    return Catalog(tuple(decks))


def read_deck(path: Path) -> Deck:
    from dlcards.deck import parse_deck

    shown = _display_path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise DeckError(f"{shown}: cannot read deck: {err.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise DeckError(f"{shown}:{line}: not UTF-8 text; save the deck as UTF-8") from None
    return parse_deck(text, shown)


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# --- cache ------------------------------------------------------------------------------------


def cache_dir() -> Path:
    env = os.environ.get("DLCARDS_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "dlcards"
    if os.name == "posix" and not _is_macos():
        return Path.home() / ".cache" / "dlcards"
    import platformdirs

    return Path(platformdirs.user_cache_dir("dlcards"))


def _is_macos() -> bool:
    import sys

    return sys.platform == "darwin"


def _to_json(decks: Sequence[Deck]) -> list[dict[str, Any]]:
    return [asdict(deck) for deck in decks]


def _from_json(data: list[dict[str, Any]]) -> list[Deck]:
    decks = []
    for d in data:
        cards = []
        for c in d["cards"]:
            c = dict(c)
            c["tags"] = tuple(c["tags"])
            c["compute"] = tuple(Compute(**b) for b in c["compute"])
            c["quiz"] = Quiz(**c["quiz"]) if c["quiz"] else None
            cards.append(Card(**c))
        decks.append(
            Deck(
                topic=d["topic"],
                title=d["title"],
                cards=tuple(cards),
                path=d["path"],
                description=d.get("description"),
            )
        )
    return decks


def load_catalog(extra: Sequence[str | Path] = (), use_cache: bool = True) -> Catalog:
    """All decks, validated and merged. Parses YAML only when a deck file changed."""
    files = deck_files(extra)
    signature = files_signature(files)
    cache = cache_dir() / "decks.json"
    if use_cache:
        try:
            cached = json.loads(cache.read_text(encoding="utf-8"))
            if cached.get("signature") == signature:
                return Catalog(tuple(_from_json(cached["decks"])))
        except (OSError, ValueError, KeyError, TypeError):
            pass
    decks = [read_deck(path) for path in files]
    catalog = merge(decks)
    if use_cache:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(
                json.dumps({"signature": signature, "decks": _to_json(decks)}, ensure_ascii=False),
                encoding="utf-8",
            )
            os.replace(tmp, cache)
        except OSError:
            pass  # an unwritable cache only costs speed
    return catalog
