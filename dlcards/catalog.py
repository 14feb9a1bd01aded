"""Finding deck files, loading them (through a cache), and the merged catalog of all cards.

Built-in decks ship inside the package (`dlcards/decks/` in a wheel; `decks/` at the top of a
source checkout). Users add directories (or single files) with `--decks DIR` or `DLCARDS_DECKS`
(a path list). Files are taken in name order: built-in first, then each user path in the order
given. Deck order is study order for new cards. A user deck file with the name of a built-in
one (as `dlcards decks copy DIR` makes them) takes its place: the user's copy, edited, is the
deck, and its card ids (so the progress) stay the same.

Each parsed deck is cached as JSON under the user cache directory, keyed by its file's path,
size and modification time, with a small index (topic, title, card ids) of every deck. Commands
run without parsing YAML when no deck changed, and load only the decks they show: `topics` reads
the index alone, `show` and `study` load the decks of the cards they display.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, cast

from dlcards import __version__, prompt
from dlcards.console import escaped
from dlcards.errors import DeckError, UsageError, nonempty, quoted
from dlcards.fileio import read_cache_json, write_cache_json
from dlcards.paths import cache_dir
from dlcards.prompt import DECK_SUFFIXES as DECK_SUFFIXES

if TYPE_CHECKING:
    from dlcards.deck import AnkiNoteType, Card, Chunks, Deck, Quiz
    from dlcards.store.rows import Premade

T = TypeVar("T")

CACHE_FORMAT = 18  # bump when an entry's layout, or what a deck parses to, changes (`_shape`)


def builtin_decks_dir() -> Path:
    """In the package (a wheel), else at the top of a source checkout or editable install."""
    return Path(prompt.builtin_decks_dir())


def installed_decks_dir() -> Path | None:
    """The built-in decks inside an installed package (a wheel), which `add` and `edit` must
    not change (an upgrade would overwrite them); None in a source checkout."""
    shipped = Path(__file__).resolve().parent / "decks"
    return shipped if shipped.is_dir() else None


def user_deck_paths(extra: Sequence[str | Path] = ()) -> list[Path]:
    """User deck locations: `--decks` values first, then DLCARDS_DECKS entries."""
    for value in extra:
        nonempty(str(value), "--decks", "a deck file or directory")
    return [Path(p) for p in [*extra, *prompt.user_deck_locations()]]


def not_a_file(path: Path) -> str | None:
    """Why `path` cannot be read as a deck file (None for a regular file)."""
    import errno
    import stat

    try:
        mode = os.stat(path).st_mode
    except OSError as err:
        if err.errno == errno.ELOOP:
            return "a symbolic link loop"
        return "a broken symbolic link" if os.path.islink(path) else "missing"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file"


def _in_directory(location: Path) -> list[Path]:
    """The deck files in a directory, in name order; an entry with a deck's suffix that is not
    a regular file (a FIFO would hang the read) is reported, not skipped."""
    found = []
    for p in sorted(location.iterdir()):
        if not prompt.is_deck_name(p.name):  # nor a hidden one: another program's
            continue
        problem = not_a_file(p)
        if problem:
            raise UsageError(
                f"deck path {p} is {problem}, not a deck file; remove or rename it "
                "(from --decks or DLCARDS_DECKS)"
            )
        found.append(p)
    return found


def deck_files(extra: Sequence[str | Path] = ()) -> list[Path]:
    """Every deck file to load, built-in first, each as its resolved path (one name per file:
    the cache, the sync and an edit all go by it). Raises UsageError for a missing user path,
    a deck path that is not a regular file, or one whose name is not UTF-8 text (the cache,
    the database and the screen all keep names as UTF-8)."""
    real_dirs: dict[str, str] = {}

    def resolved(path: Path) -> Path:
        return Path(prompt.real_path(str(path), real_dirs))

    files = sorted(
        resolved(p)
        for p in builtin_decks_dir().iterdir()
        if prompt.is_deck_name(p.name) and p.is_file()
    )
    seen = set(files)
    builtin = {p.name: i for i, p in enumerate(files)}
    for location in user_deck_paths(extra):
        problem = not_a_file(location)
        if problem == "a directory":
            found = _in_directory(location)
        elif problem is None:
            found = [location]
        elif problem == "missing":
            raise UsageError(f"deck path {location} does not exist (from --decks or DLCARDS_DECKS)")
        else:
            raise UsageError(
                f"deck path {location} is {problem}, not a deck file or directory "
                "(from --decks or DLCARDS_DECKS)"
            )
        for path in found:
            real = resolved(path)
            if real in seen:
                continue
            try:
                str(real).encode("utf-8")
            except UnicodeEncodeError:  # bytes that are not UTF-8 (lone surrogates here)
                shown = os.fsencode(real).decode("utf-8", "backslashreplace")  # caf\xe9
                raise UsageError(
                    f"deck path {shown} has a name that is not UTF-8 text; rename it "
                    "(from --decks or DLCARDS_DECKS)"
                ) from None
            seen.add(real)
            if path.name in builtin:  # the user's copy of a built-in deck replaces it
                files[builtin.pop(path.name)] = real
            else:
                files.append(real)
    return files


DECKS_SETTLE_S = 0.3
"""How long the deck files must have been left alone before a deck file that is missing or
does not load is taken as the learner's. An editor's save leaves each of those for a few
milliseconds: vim writes a new file and renames it over the old one, or (with
`backupcopy=no`) renames the old one away first; others truncate the file and write it, or
delete it and create it again. A sync that looked in that moment retired the deck's cards, a
study session dropped them, and an error was said for a file that was whole a moment later."""
DECKS_GONE_S = 2.0
"""How long the deck files must have been left alone before the cards they no longer hold are
taken out (retired, dropped from a session, said to be in no deck). Longer than
DECKS_SETTLE_S: a save that takes a while (a network file system, a big deck written in
pieces, an editor that renames the old file away, writes, then syncs) left a deck file
missing or cut for longer than 0.3 s, and its cards were retired, and back a moment later,
while a session showed them vanish. An error costs a message; this cost the learner cards."""
DECKS_SETTLE_MAX_S = 3.0
"""How long a look at the decks waits at most for deck files that keep changing (a script
saving one in a loop): then what it finds is taken as it is."""


class Unsettled(Exception):
    """Raised by a look at the decks (`settled`) that would take cards out while the deck
    files are still changing: what it would have done is not done. `quiet`: how long the
    files must be left alone before it is done (DECKS_GONE_S when cards would go; a session
    that does not wait, `settled(wait=False)`, gets one for any look that found a file
    mid-save). `found`: what the look would give, taken as it is (`settled`'s last try)
    when the deck files had been left alone before the look and still are, which the look
    saw as saved: a second look would read them all again for the same (`show` of an unknown
    id loaded the catalog and its 100,000-id index twice, ~150 ms)."""

    def __init__(self, quiet: float = DECKS_GONE_S, found: object = None) -> None:
        super().__init__(quiet)
        self.quiet = quiet
        self.found = found


def settled(
    attempt: Callable[[int | None], T],
    extra: Sequence[str | Path] = (),
    wait: bool = True,
    wait_gone: bool = True,
) -> T:
    """`attempt(looked)`, a look at the deck files begun at `looked` (nanoseconds since the
    epoch), again while they settle: when it raises DeckError or UsageError (a file missing
    or half written for a moment), FileNotFoundError (a file listed, then gone before it
    was read: renamed away by an editor saving it) or Unsettled (it would take cards out
    while the files were changing), and the deck files changed less than DECKS_SETTLE_S
    (DECKS_GONE_S for Unsettled) before the look, it is tried again once they have been left
    alone that long. An error from files that had changed before the look and stayed so is
    raised without a second look; after DECKS_SETTLE_MAX_S what is found is taken. `looked`
    is None for the last try, after Unsettled: the decks are taken as they are, cards out and
    all. `wait` False (a study session, which can go on with the decks as they were and look
    again later): no longer than DECKS_SETTLE_S is waited for (an editor's quick save is
    taken at once), and a look that still finds something wrong while the deck files
    changed less than DECKS_GONE_S before it raises Unsettled: a slow save is neither taken
    for a deletion nor said as an error. `wait_gone` False (a shell prompt's count, which
    can give the last sync's number): errors are waited for as with `wait`, but cards gone
    are not, past DECKS_SETTLE_S: Unsettled is raised instead."""
    import time

    give_up = None  # the clock is read once something is found wrong, not on every look
    careful = True
    while True:
        looked = time.time_ns()
        try:
            return attempt(looked if careful else None)
        except (DeckError, UsageError, Unsettled, FileNotFoundError) as err:
            if give_up is None:
                give_up = time.monotonic() + DECKS_SETTLE_MAX_S
            changed = last_deck_change_ns(extra)
            quiet = err.quiet if isinstance(err, Unsettled) else DECKS_SETTLE_S
            longest = quiet if wait and wait_gone else DECKS_SETTLE_S
            pause = settling(extra, looked, changed, min(quiet, longest))
            if pause is not None and time.monotonic() + pause <= give_up:
                time.sleep(pause)
                # changed before they were read (the clock that dates a change lags by up to
                # a tick: RACY_NS), and left so since: found as saved, not read again
                if changed >= looked - prompt.RACY_NS or last_deck_change_ns(extra) != changed:
                    continue
            if (not wait or (isinstance(err, Unsettled) and not wait_gone)) and settling(
                extra, looked, changed, DECKS_GONE_S
            ) is not None:
                raise Unsettled(DECKS_GONE_S) from None  # looked at again later
            if not isinstance(err, Unsettled):
                raise
            if (
                err.found is not None
                and changed < looked - prompt.RACY_NS
                and last_deck_change_ns(extra) == changed
            ):
                return cast(T, err.found)  # the files as the look read them: as saved
            careful = False  # the cards the decks dropped are taken out


def settling(
    extra: Sequence[str | Path],
    looked: int,
    changed: int | None = None,
    quiet: float = DECKS_SETTLE_S,
) -> float | None:
    """How long to wait, from now, before the deck files have been left alone for `quiet`
    seconds; None when they had been so before `looked` (when a look at them began,
    nanoseconds since the epoch) and still are: what it found is as their owner saved it.
    `changed`: their `last_deck_change_ns`, when the caller has it."""
    import time

    settle = int(quiet * 1e9)
    if changed is None:
        changed = last_deck_change_ns(extra)
    if changed <= looked - settle:
        return None
    return max(0.02, (changed + settle - time.time_ns()) / 1e9)


def last_deck_change_ns(extra: Sequence[str | Path] = ()) -> int:
    """When the deck files last changed, as far as their status times tell (nanoseconds since
    the epoch; 0 when nothing can be seen): the latest change time (`st_ctime`: set by every
    write, rename and `touch`, and never set back, as a modification time can be) of every
    deck file, built-in and user, of the folders that hold them (a file renamed away or
    deleted changes its folder's time, not its own), of each user deck path, and of the
    folder a deck path given as a file is in (it may be missing just now). Never raises: what
    cannot be seen counts for nothing. A few stats per deck file."""
    newest = 0

    def see(path: str) -> None:
        nonlocal newest
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            return
        newest = max(newest, st.st_ctime_ns)

    def folder(location: str) -> None:
        see(location)
        try:
            names = os.listdir(location)
        except (OSError, ValueError):
            return
        for name in names:
            if prompt.is_deck_name(name):
                path = os.path.join(location, name)
                see(path)
                if os.path.islink(path):  # a link's target is saved in its own folder
                    see(os.path.dirname(os.path.realpath(path)))

    folder(prompt.builtin_decks_dir())
    try:
        locations = [str(p) for p in user_deck_paths(extra)]
    except UsageError:
        locations = []
    for location in locations:
        if os.path.isdir(location):
            folder(location)
        else:  # a file, or missing: the folder it is in too (not a deck folder's: a database
            # beside it changes that at every write)
            see(os.path.dirname(os.path.abspath(location)))
            see(location)
            if os.path.islink(location):
                see(os.path.dirname(os.path.realpath(location)))
    return newest


def files_signature(files: Iterable[Path]) -> str:
    """Changes whenever a deck file is added, removed or modified. Costs one stat per file.
    `files`: resolved paths, as `deck_files` gives them."""
    import time

    parts = [__version__]
    now = time.time_ns()
    for path in files:
        parts.append(f"{path}\x1f{prompt.file_version(path.stat(), now)}")
    return "\x1e".join(parts)


class DeckInfo(NamedTuple):
    """What the index knows of a deck without loading its cards."""

    file: Path
    path: str  # as shown to the user
    stamp: str  # size, mtime and dlcards version: changes when the file does
    topic: str
    title: str
    id_text: str  # the card ids, one per line: split only when they are used
    math: int
    quiz_text: str  # the ids of the cards with a quiz template, one per line
    guid_text: str = ""  # the Anki note GUIDs its cards hold (`anki_guid:`), one per line
    tag_text: str = ""  # the tags its cards carry, each once, sorted, one per line
    anki_deck: str = ""  # its deck in Anki (`anki_deck:`), when not the one its title gives
    own_cards: bool = False  # the learner's own cards of a topic another file defines

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self.id_text.split("\n")) if self.id_text else ()

    @property
    def size(self) -> int:
        """How many cards the deck has."""
        return self.id_text.count("\n") + 1 if self.id_text else 0


class Catalog:
    """All decks in order. Decks load on first use, so a command pays only for what it shows."""

    def __init__(self, infos: Sequence[DeckInfo], load: Callable[[DeckInfo], Deck]) -> None:
        self.infos = tuple(infos)
        self._load = load
        self._decks: dict[Path, Deck] = {}  # by file
        self._topic_of: dict[str, str] | None = None
        self._by_topic: dict[str, dict[str, Card]] = {}  # each loaded topic's cards by id

    def deck_of(self, info: DeckInfo) -> Deck:
        """The deck of one file (of `infos`)."""
        deck = self._decks.get(info.file)
        if deck is None:
            deck = self._decks[info.file] = self._load(info)
        return deck

    def deck(self, topic: str) -> Deck:
        """The topic's deck: its file's, with the cards of its files of the learner's own
        cards (`own_cards:`) after its own, in file order."""
        parts = [self.deck_of(info) for info in self.infos if info.topic == topic]
        if not parts:
            raise KeyError(topic)
        if len(parts) == 1:
            return parts[0]
        main = next((d for d in parts if not d.own_cards), parts[0])
        rest = [d for d in parts if d is not main]
        return main._replace(cards=main.cards + tuple(c for d in rest for c in d.cards))

    @property
    def decks(self) -> tuple[Deck, ...]:
        """Each topic's deck (`deck`), in the order of the topics' first files."""
        return tuple(self.deck(topic) for topic in dict.fromkeys(i.topic for i in self.infos))

    def defining(self) -> dict[str, DeckInfo]:
        """Each topic's defining file: the one that is not of the learner's own cards (the
        first file of a topic only such files hold), in the order of the topics' first files."""
        out: dict[str, DeckInfo] = {}
        for info in self.infos:
            held = out.get(info.topic)
            if held is None or (held.own_cards and not info.own_cards):
                out[info.topic] = info
        return out

    @property
    def cards(self) -> tuple[Card, ...]:
        return tuple(card for deck in self.decks for card in deck.cards)

    def by_id(self) -> dict[str, Card]:
        return {card.id: card for deck in self.decks for card in deck.cards}

    def topic_of(self, card_id: str) -> str | None:
        return self._id_index().get(card_id)

    def _id_index(self) -> dict[str, str]:
        """Every card id, with its topic (made once, from the decks' index)."""
        if self._topic_of is None:
            self._topic_of = {cid: info.topic for info in self.infos for cid in info.ids}
        return self._topic_of

    def topic_titles(self) -> dict[str, str]:
        """Each topic's title: its defining file's (`defining`)."""
        return {topic: info.title for topic, info in self.defining().items()}

    def anki_decks(self) -> dict[str, str]:
        """Each topic's deck in Anki: its `anki_deck:`, else the one its title gives
        (`dlcards.deck.anki_deck_name`), from the index."""
        from dlcards.deck import anki_deck_name

        return {
            topic: info.anki_deck or anki_deck_name(info.title)
            for topic, info in self.defining().items()
        }

    def _cards_by_id(self, topic: str) -> dict[str, Card]:
        """The deck's cards by id (its first, were an id in it twice), made once a deck: a walk
        of the deck's cards for each id made `suspend` of 10,000 ids, or `search --json` of
        40,000 hits, quadratic (each id against its deck's 2,000 cards: 3 s and 18 s of CPU at
        100,000 cards)."""
        index = self._by_topic.get(topic)
        if index is None:
            index = self._by_topic[topic] = {}
            for card in self.deck(topic).cards:
                index.setdefault(card.id, card)
        return index

    def card(self, card_id: str) -> Card:
        """The card with this id; surrounding whitespace is ignored (`show 'gd-2 '`)."""
        card_id = card_id.strip()
        topic = self.topic_of(card_id)
        if topic is not None:
            card = self._cards_by_id(topic).get(card_id)
            if card is not None:
                return card
        from dlcards.suggest import did_you_mean

        # the id index itself: a set to look the near ids up in (`suggest.near`), no copy
        hint = did_you_mean(card_id, self._id_index(), n=3) or "; see `dlcards list`"
        raise UsageError(f"unknown card id '{escaped(card_id)}'{hint}")

    def check_topics(self, topics: Sequence[str], given: str | None = None) -> None:
        """Raise UsageError naming a topic no deck has and the known ones; named as the user
        typed it, `given` where that was not the topic itself (a search's `topic:GDX` is the
        topic `gdx`, and was said back so)."""
        known = self.topic_titles()
        for topic in topics:
            if topic not in known:
                from dlcards.suggest import did_you_mean

                hint = did_you_mean(topic, known)
                typed = topic if given is None else given
                raise UsageError(
                    f"unknown topic '{escaped(typed)}'{hint}; topics are: {', '.join(known)}"
                )

    def tags(self) -> list[str]:
        """Every tag used by some card, sorted: from the decks' index, no deck loaded (an
        unknown `--tag` read every deck to list the known ones: 100,000 cards, ~1 s)."""
        return sorted(
            {t for info in self.infos if info.tag_text for t in info.tag_text.split("\n")}
        )

    def check_tag(self, tag: str | None, given: str | None = None) -> None:
        """Raise UsageError naming the tag and the known ones when no card carries `tag` (or
        a tag under it: `ml` is known where a card has `ml::cnn`). The tag is named as the
        user typed it: `given`, else `tag`'s own (`deck.given_tag`), else `tag` (`--tag ÉX`
        was said back as 'éx', the decks' form of it)."""
        if tag is None:
            return
        from dlcards.deck import has_tag
        from dlcards.settings import LEECH_TAG

        if tag == LEECH_TAG:  # Anki's tag of a leech, chosen as `search tag:leech` finds it:
            return  # none now is no unknown tag (`--tag leech` was refused as one)
        known = self.tags()
        if not has_tag(tuple(known), tag):
            from dlcards.suggest import did_you_mean

            # the tags `export anki` adds to a note, found in Anki by them: its topic's slug,
            # first of its tags there
            if (name := tag.strip()) in self.topic_titles():
                hint = f" ({name} is a topic: --topic {name}, or topic:{name} in a search)"
            else:
                hint = did_you_mean(tag, known)
            typed = given if given is not None else getattr(tag, "given", tag)
            raise UsageError(
                f"unknown tag '{escaped(typed)}'{hint}; tags are: {', '.join(known) or 'none'}"
            )

    def stream(
        self,
        topics: Sequence[str] = (),
        tag: str | None = None,
        leeches: AbstractSet[str] = frozenset(),
    ) -> Iterator[list[Card]]:
        """The cards of `select`, one deck's at a time; a deck loaded only for this is not
        kept, so a caller that lets go of each list holds one deck at a time. An unknown
        topic is a UsageError at once; a tag no card carries, once the decks gave none (as
        `select`): checked first, it read every deck (kept, all at once) before the first
        was streamed, and `list --tag` in a pipe read them all again in each worker."""
        self.check_topics(topics)

        chosen = set(topics)
        found = False
        for info in self.infos:
            if chosen and info.topic not in chosen:
                continue
            deck = self._decks.get(info.file) or self._load(info)
            cards = [card for card in deck.cards if tag is None or carries(card, tag, leeches)]
            found = found or bool(cards)
            yield cards
        if not found:  # a tag the chosen cards carry is known without reading the others
            self.check_tag(tag)

    def ids(self, topics: Sequence[str] = ()) -> list[str]:
        """The ids of the cards of the given topics (all if none), in deck order, from the
        index: no deck is loaded. An unknown topic is a UsageError."""
        self.check_topics(topics)
        chosen = set(topics)
        return [
            cid for info in self.infos if not chosen or info.topic in chosen for cid in info.ids
        ]

    def deck_guids(self) -> set[str]:
        """Every `anki_guid` the decks give, from the index: no deck is loaded."""
        return {g for info in self.infos if info.guid_text for g in info.guid_text.split("\n")}

    def anki_guids(self, ids: Iterable[str]) -> dict[str, str]:
        """Card id -> the Anki note GUID its deck gives it (`anki_guid:`, a card converted by
        `import anki --to-yaml`), for those of `ids` that have one (an id no deck has is left
        out); reads only their decks."""
        held = [cid for cid in dict.fromkeys(ids) if self.topic_of(cid) is not None]
        return {c.id: c.anki_guid for c in self.cards_of(held) if c.anki_guid is not None}

    def templated(self) -> frozenset[str]:
        """The ids of the cards with a quiz template, from the index: no deck is loaded."""
        return frozenset(
            cid for info in self.infos if info.quiz_text for cid in info.quiz_text.split("\n")
        )

    def cards_of(self, ids: Sequence[str]) -> list[Card]:
        """The cards with these ids, in the order given, loading only their decks. An id no
        deck has is a UsageError (as `card`)."""
        cards = []
        for cid in ids:
            topic = self.topic_of(cid)
            if topic is None:
                self.card(cid)  # raises, naming it
            assert topic is not None
            # not in it when its deck file was saved without it since the index was read
            cards.append(self._cards_by_id(topic).get(cid) or self.card(cid))
        return cards

    def select(
        self,
        topics: Sequence[str] = (),
        tag: str | None = None,
        within: AbstractSet[str] | None = None,
        leeches: AbstractSet[str] = frozenset(),
    ) -> list[Card]:
        """Cards of the given topics (all if none) carrying `tag` (any if None; the `leeches`
        carry Anki's `leech` too), and among `within` when given (a deck holding none of those
        ids is not read), in deck order. An unknown topic or a tag no card carries is a
        UsageError."""
        self.check_topics(topics)

        chosen = set(topics)
        read = dict.fromkeys(  # each topic once (its own cards' file is read with its deck)
            info.topic
            for info in self.infos
            if (not chosen or info.topic in chosen)
            and (within is None or not within.isdisjoint(info.ids))
        )
        cards = [
            card
            for topic in read
            for card in self.deck(topic).cards
            if (within is None or card.id in within)
            and (tag is None or carries(card, tag, leeches))
        ]
        if not cards:  # a tag the chosen cards carry is known without reading the other decks
            self.check_tag(tag)
        return cards


def carries(card: Card, tag: str, leeches: AbstractSet[str] = frozenset()) -> bool:
    """Whether `--tag tag` chooses `card` (`deck.has_tag`), a card among `leeches` carrying
    Anki's `leech` too (`settings.leech_marked`), as `search tag:` and `Store.tagged` read
    it."""
    from dlcards.deck import has_tag
    from dlcards.settings import leech_marked

    return has_tag(leech_marked(card.tags) if card.id in leeches else card.tags, tag)


Summary = tuple[str, str, str, str, int, str, str, str, str, bool]
"""What the catalog's index keeps of a deck (`DeckInfo`, but its file and stamp): the path as
shown, its topic and title, its cards' ids (a line each), how many are math cards, the ids
of those with a quiz, the Anki note GUIDs its cards hold (a line each), the tags its cards
carry (each once, sorted, a line each), its `anki_deck:` ("" without one), and whether it
holds the learner's own cards of a topic another file defines (`own_cards:`)."""


def _summary(deck: Deck) -> Summary:
    return (
        deck.path,
        deck.topic,
        deck.title,
        "\n".join(card.id for card in deck.cards),
        sum(card.is_math for card in deck.cards),
        "\n".join(card.id for card in deck.cards if card.quiz is not None),
        "\n".join(card.anki_guid for card in deck.cards if card.anki_guid is not None),
        "\n".join(sorted({tag for card in deck.cards for tag in card.tags})),
        deck.anki_deck or "",
        deck.own_cards,
    )


def _info(summary: Summary, file: Path, stamp: str) -> DeckInfo:
    """The index entry of the deck `summary` is of (read from `file`, stamped `stamp`)."""
    path, topic, title, id_text, math, quiz_text, guid_text, tag_text, anki_deck, own = summary
    return DeckInfo(
        file=file,
        path=path,
        stamp=stamp,
        topic=topic,
        title=title,
        id_text=id_text,
        math=math,
        quiz_text=quiz_text,
        guid_text=guid_text,
        tag_text=tag_text,
        anki_deck=anki_deck,
        own_cards=own,
    )


def check_merge(
    infos: Sequence[DeckInfo],
    load: Callable[[DeckInfo], Deck],
    apart: Collection[Path] = (),
) -> None:
    """Topics and ids must be unique across files; the error names both places. `apart`:
    deck files of `infos` whose ids are known to be in no two of them (checked together
    before, each as it is now): their ids are compared with the others' only."""
    # Each deck's ids are unique (parse_deck checks): when the set of all is as long as the
    # decks are together, no id is in two of them, found in C from one split of all decks' id
    # lines (100,000 ids: ~40 -> ~10 ms). With decks known apart, only the others' ids make
    # the set, and each known deck's list is looked up in it (one deck of 2,000 cards saved
    # among 100,000: ~30 -> ~11 ms of CPU here, under load).
    if len({_topic_key(info) for info in infos}) == len(infos):
        others = [info for info in infos if info.file not in apart]
        if not others:
            return  # every deck as it was when they were checked together
        if _apart(infos, others, apart, "id_text") and _apart(infos, others, apart, "guid_text"):
            return
    topics: dict[str, DeckInfo] = {}
    owner: dict[str, DeckInfo] = {}
    for info in infos:
        if not info.own_cards and info.topic in topics:
            other = topics[info.topic]
            raise DeckError(
                f"{info.path}:1: topic '{info.topic}' is already defined by {other.path}; "
                "choose another topic slug (or add `own_cards: true` to a file of your own "
                "cards for that topic)"
            )
        if not info.own_cards:
            topics[info.topic] = info
        for cid in info.ids:
            if cid in owner:
                first_info = owner[cid]
                first = next(c for c in load(first_info).cards if c.id == cid)
                card = next(c for c in load(info).cards if c.id == cid)
                raise DeckError(
                    f"{card.file}:{card.line}: card {cid}: duplicate id, already used at "
                    f"{first.file}:{first.line}; ids must be unique across all decks"
                )
            owner[cid] = info
    _no_guid_twice(infos, load)


def _topic_key(info: DeckInfo) -> object:
    """What no two deck files may share: the topic a file defines; a file of the learner's own
    cards of a topic (`own_cards:`) shares it with the file that defines it."""
    return (info.topic, info.file) if info.own_cards else info.topic


def _apart(
    infos: Sequence[DeckInfo], others: Sequence[DeckInfo], apart: Collection[Path], field: str
) -> bool:
    """Whether no line of `field` (ids, or Anki GUIDs) is in two decks, as `check_merge`
    decides it: from the other decks' lines, and each deck known apart's against them."""
    text = "\n".join(getattr(info, field) for info in others if getattr(info, field))
    lines = text.split("\n") if text else []
    new = set(lines)
    return len(new) == len(lines) and all(
        new.isdisjoint(getattr(info, field).split("\n"))
        for info in infos
        if info.file in apart and getattr(info, field)
    )


def _no_guid_twice(infos: Sequence[DeckInfo], load: Callable[[DeckInfo], Deck]) -> None:
    """Two decks' cards with one `anki_guid` would be one note in Anki (`export anki` writes
    the second over the first, and an import gives both notes' reviews to one card): the
    second is a deck error that names both cards and files. (`parse_deck` finds two in one
    file.)"""
    owner: dict[str, DeckInfo] = {}
    for info in infos:
        for guid in info.guid_text.split("\n") if info.guid_text else ():
            first_info = owner.setdefault(guid, info)
            if first_info is info:
                continue
            first = next(c for c in load(first_info).cards if c.anki_guid == guid)
            card = next(c for c in load(info).cards if c.anki_guid == guid)
            raise DeckError(
                f"{card.file}:{card.line}: card {card.id}: anki_guid {quoted(guid)} is also "
                f"card {first.id}'s, at {first.file}:{first.line}; each card is its own Anki "
                "note: take the key out of one of them"
            )


def read_deck(path: Path) -> Deck:
    from dlcards.deck import parse_deck

    text, shown = read_deck_text(path)
    return parse_deck(text, shown)


def read_deck_text(path: Path) -> tuple[str, str]:
    """A deck file's text (within the size limit, UTF-8) and the name errors give it."""
    from dlcards.yamlload import MAX_DECK_BYTES

    shown = _shown(path.resolve())
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_DECK_BYTES + 1)
    except OSError as err:
        raise DeckError(f"{shown}: cannot read deck: {err.strerror}") from None
    if len(data) > MAX_DECK_BYTES:
        raise DeckError(
            f"{shown}:1: the deck is more than {MAX_DECK_BYTES // 2**20} MB, the limit for a "
            "deck file; split it into several files"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise DeckError(f"{shown}:{line}: not UTF-8 text; save the deck as UTF-8") from None
    return text, shown


def shown_name(path: Path) -> str:
    """The name the deck loader's errors give deck file `path` (its target, when a link)."""
    return _shown(path.resolve())


def _shown(real: Path) -> str:
    """A resolved path as shown to the user: relative to the current directory if under it."""
    try:
        return str(real.relative_to(Path.cwd()))
    except (ValueError, OSError):  # not under it, or it was deleted (run from a removed dir)
        return str(real)


# --- cache ----------------------------------------------------------------------------------


def _stamp(file: Path) -> str:
    """The deck file's version (`prompt.file_version`: size, modification time first) with
    this dlcards's version and cache format: a cache entry or a sync serves only this."""
    import time

    size, mtime, rest = prompt.file_version(file.stat(), time.time_ns()).split(":", 2)
    return f"{size}:{mtime}:{__version__}:{CACHE_FORMAT}:{rest}"


def stamp_time(stamp: str) -> int | None:
    """The modification time (whole seconds) a deck file's `_stamp` holds; None if none."""
    try:
        return int(stamp.split(":")[1]) // 1_000_000_000
    except (IndexError, ValueError):
        return None


def _key(real: Path) -> str:
    """The cache's name for a deck file, by its resolved path (as `deck_files` gives it): two
    checksums of it, 64 bits. Not a cryptographic hash (importing hashlib's OpenSSL costs 3-5
    ms, a tenth of `dlcards topics`): the index entry and the cached deck each name their file,
    and an entry of another file is not used, so two paths that share a key only cost a parse."""
    import zlib

    path = str(real).encode("utf-8", "surrogateescape")
    return f"{zlib.crc32(path):08x}{zlib.adler32(path):08x}"


def _quiz_from_json(quiz: list[Any]) -> Quiz:
    """A cached quiz (the array of its fields), its mistakes made `Mistake`s again."""
    from dlcards.deck import Mistake, Quiz

    fields = list(quiz)
    at = Quiz._fields.index("mistakes")
    fields[at] = tuple(Mistake(*m) for m in fields[at])
    return Quiz._make(fields)


def _shape() -> list[list[str]]:
    """The fields of a cached card, its computations and its quiz, in the order an entry
    holds them: an entry of another shape (an older dlcards) is parsed again."""
    from dlcards.deck import Card, Compute, Quiz

    return [list(Card._fields), list(Compute._fields), list(Quiz._fields)]


def _deck_to_json(
    deck: Deck,
    file: Path,
    stamp: str,
    chunks: Chunks | None = None,
    digests: str | None = None,
) -> dict[str, Any]:
    """A deck's cache entry. Each card is the array of its fields in order (`_shape`), as
    JSON's encoder writes a NamedTuple, in C: per-card dicts of named fields cost 1.2 s of a
    100,000-card first sync's parse workers, these arrays 0.35 s. `chunks`: the digests of the
    deck's text by card, when it was cut so; `digests`: its cards' sync digests, when made
    (`_read_and_cache`)."""
    return {
        "format": CACHE_FORMAT,
        "shape": _shape(),
        "file": str(file),  # the resolved deck file the entry is of (`_key` may be shared)
        "stamp": stamp,  # the deck file's, when read: the entry serves only that file
        "topic": deck.topic,
        "title": deck.title,
        "path": deck.path,
        "description": deck.description,
        "anki_deck": deck.anki_deck,
        "own_cards": deck.own_cards,
        "cards": deck.cards,
        "chunks": list(chunks) if chunks is not None else None,
        "digests": digests,
    }


def _deck_from_json(data: dict[str, Any], shown: str, stamp: str) -> Deck:
    """The cached deck, its file named as seen from the current directory. ValueError when
    the entry is not of the deck file as it is now (`stamp`): the index and the entry are
    written one after the other, without fsync, and a crash can keep one and not the other."""
    from dlcards.deck import Card, Compute, Deck

    if data.get("format") != CACHE_FORMAT or data.get("shape") != _shape():
        raise ValueError("cache entry of another format")
    if data.get("stamp") != stamp:
        raise ValueError("cache entry of another version of the deck file")
    topic = data["topic"]
    cards = []
    for row in data["cards"]:
        (
            card_id, _, question, answer, tags, source, compute, erratum, quiz, _, line, note,
            references, source_question, same_question, anki_guid, note_type,
        ) = row  # fmt: skip
        cards.append(
            Card(
                card_id,
                topic,
                question,
                answer,
                tuple(tags),
                source,
                tuple(Compute(*block) for block in compute) if compute else (),
                erratum,
                None if quiz is None else _quiz_from_json(quiz),
                shown,
                line,
                note,
                tuple(references),
                source_question,
                tuple(same_question),
                anki_guid,
                None if note_type is None else _note_type_from_json(note_type),
            )
        )
    return Deck(
        topic=topic,
        title=data["title"],
        cards=tuple(cards),
        path=shown,
        description=data.get("description"),
        anki_deck=data.get("anki_deck"),
        own_cards=data.get("own_cards") is True,
    )


def _note_type_from_json(data: list[Any]) -> AnkiNoteType:
    from dlcards.deck import AnkiNoteType

    ntid, name, fields, template, question, answer, cloze = data
    return AnkiNoteType(ntid, name, tuple(fields), template, question, answer, cloze)


def _write_json(path: Path, data: object) -> bool:
    """Whether `data` was written to `path` (an unwritable cache only costs speed)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_cache_json(path, data)  # a cache: read back with its checksum and checks
    except OSError:
        return False
    return True


def _indexed(entry: object, file: Path, stamp: str) -> bool:
    """Whether an index entry is of the deck file `file` as it is now (`stamp`) and whole."""
    return (
        isinstance(entry, dict)
        and entry.get("file") == str(file)
        and entry.get("stamp") == stamp
        and isinstance(entry.get("topic"), str)
        and isinstance(entry.get("title"), str)
        and isinstance(entry.get("ids"), str)
        and type(entry.get("math")) is int
        and isinstance(entry.get("quiz"), str)
        and isinstance(entry.get("guids"), str)
        and isinstance(entry.get("tags"), str)
        and isinstance(entry.get("anki_deck"), str)
        and type(entry.get("own_cards")) is bool
    )


def _info_from_index(file: Path, stamp: str, entry: dict[str, Any]) -> DeckInfo:
    return DeckInfo(
        file,
        _shown(file),
        stamp,
        entry["topic"],
        entry["title"],
        entry["ids"],
        entry["math"],
        entry["quiz"],
        entry["guids"],
        entry["tags"],
        entry["anki_deck"],
        entry["own_cards"],
    )


PARALLEL_BYTES = 4 * 1024 * 1024
"""Deck files to parse of more than this in all are parsed by a pool of processes, one per
core (a first sync of a big collection); fewer bytes are parsed here, which is faster than
starting the processes."""


def _read_and_cache(
    file: Path, stamp: str, cache: Path | None, digests: bool = False
) -> tuple[Deck, str | None]:
    """One deck parsed, and its cache entry written when `cache` is given (here). `stamp`: the
    file's, taken before it was read. With the cache, the entry of the file's last version
    read, when there is one with its cards' digests (`deck.Chunks`), spares the parse of the
    cards whose text did not change (`deck.reparse_deck`): a 2,000-card deck saved with one
    card changed, ~40 ms of its parse's ~60 here. The new entry keeps the digests for the next
    time (~7 ms more to the whole parse of such a deck, only in this process: a pool's worker,
    a first sync's, keeps none).

    And each card's digests that a sync compares with the cards table (`_sync_digests`), made
    when `digests` is asked (a sync's parse) and kept in the entry: a card whose text did not
    change since the entry read keeps its digests from it (they are carried over when not
    asked too), so a sync after a deck is saved hashes only the cards that changed (a
    2,000-card deck: ~25 ms of its CPU here). None when not made."""
    if cache is None:
        deck = read_deck(file)
        return deck, (_sync_digests(deck.cards, deck.title) if digests else None)
    from dlcards.deck import parse_deck_chunked, reparse_reusing

    text, shown = read_deck_text(file)
    entry = cache / f"{_key(file)}.json"
    old = _entry_with_chunks(entry, file, shown)
    got = None if old is None else reparse_reusing(text, shown, old.deck, old.chunks)
    if old is None or got is None:
        deck, chunks = parse_deck_chunked(text, shown)
        hashes = _sync_digests(deck.cards, deck.title) if digests else None
    else:
        deck, chunks, reused = got
        carried = digests or old.digests is not None
        hashes = _carried_digests(deck, reused, old) if carried else None
    _write_json(entry, _deck_to_json(deck, file, stamp, chunks, hashes))
    return deck, hashes


SYNC_DIGEST_CHARS = 48
"""A card's digests as the deck cache keeps them: `Card.content_hash`, the search text's and
the exported note's (`rows.card_digests`), 16 hex digits each, one after the other."""


def _sync_digests(cards: Sequence[Card], title: str) -> str:
    """The digests a sync compares of each of `cards` (of the topic titled `title`), in order
    (`SYNC_DIGEST_CHARS` each)."""
    from dlcards.store.rows import card_digests

    return "".join("".join(card_digests(card, title)[:3]) for card in cards)


class _Entry(NamedTuple):
    """A cache entry of an earlier version of a deck file: its deck, the digests of its text
    by card (`deck.Chunks`) and its cards' sync digests when kept (`_sync_digests`)."""

    deck: Deck
    chunks: Chunks
    digests: str | None


def _carried_digests(deck: Deck, reused: Sequence[int | None], old: _Entry) -> str:
    """`deck`'s sync digests, those of each card that is a card of `old` (`reused`: its index
    there, `deck.reparse_reusing`) taken from it."""
    width = SYNC_DIGEST_CHARS
    out: list[str] = []
    for card, i in zip(deck.cards, reused, strict=True):
        if i is not None and old.digests is not None:
            out.append(old.digests[i * width : (i + 1) * width])
        else:
            out.append(_sync_digests([card], deck.title))
    return "".join(out)


def _entry_with_chunks(entry: Path, file: Path, shown: str) -> _Entry | None:
    """The deck and its text's digests (`deck.Chunks`) in the cache entry of deck file `file`
    at `entry`, of any version of the file read by this dlcards (its cards are what this
    version's parse makes of the same text), with its cards' sync digests if it kept them;
    None if there is no such entry."""
    from dlcards.deck import Chunks

    try:
        data = read_cache_json(entry)
        if not isinstance(data, dict) or data.get("file") != str(file):
            return None
        header, cards = data["chunks"]
        stamp = data["stamp"]
        if (
            not isinstance(header, str)
            or not isinstance(cards, str)
            or not isinstance(stamp, str)
            or stamp.split(":")[2:4] != [__version__, str(CACHE_FORMAT)]
        ):
            return None
        deck = _deck_from_json(data, shown, stamp)
        digests = data.get("digests")
        if not isinstance(digests, str) or len(digests) != SYNC_DIGEST_CHARS * len(deck.cards):
            digests = None
        return _Entry(deck, Chunks(header, cards), digests)
    except (OSError, ValueError, KeyError, TypeError):
        return None


Parsed = tuple["Deck | None", "Premade | None", "Summary | None", "str | None"]
"""A deck file parsed: the Deck (None: a pool's worker wrote it to its cache entry, to be read
from there if its cards are asked for), and when they were made beside the parse
(`_read_and_digest`), its cards' rows as a first sync writes them (`rows.Premade`, with the
digests any sync compares) and the catalog index's summary of the deck (`_summary`); parsed
here, its cards' sync digests when made (`_read_and_cache`)."""


def _read_and_digest(file: Path, stamp: str, cache: Path | None) -> Parsed:
    """A deck parsed in a pool's worker, its cache entry written there, with the deck's rows
    (`rows.premade`: each card's digests, id and tags) and `_summary`: a first sync hashes its
    cards there, beside the parse, not in the process that writes them (100,000 cards: ~0.4 s
    of its CPU time), and its index entries wait for nothing but the deck (~0.1 s of the main
    process's, after the last deck). The cards themselves go back only when no cache entry
    holds them: a first sync writes the rows, and unpickling 100,000 Cards (~0.1 s of the
    writing process's CPU, with ~0.2 s of its per-card loop that the rows spare) and pickling
    them (~0.3 s of the workers') bought nothing."""
    from dlcards.store.rows import premade

    deck = read_deck(file)
    kept = cache is not None and _write_json(
        cache / f"{_key(file)}.json", _deck_to_json(deck, file, stamp)
    )
    return (None if kept else deck), premade(deck.cards, deck.title), _summary(deck), None


def _read_here(file: Path, stamp: str, cache: Path | None, digests: bool = False) -> Parsed:
    deck, hashes = _read_and_cache(file, stamp, cache, digests)
    return deck, None, None, hashes


def _read_decks(
    files: Sequence[Path], stamps: dict[Path, str], cache: Path | None, digests: bool = False
) -> tuple[dict[Path, Callable[[], Parsed]], bool]:
    """Each file's deck (with its digests when a worker made them), as a function that gives
    it (or raises its DeckError) when called: files are asked for in order, so the first
    broken file is the one reported, as when they are parsed one by one. And whether a pool
    of processes parses them (meanwhile)."""
    from dlcards.cores import can_fork, cores, exit_with_parent, forked_worker

    n_cores = cores()
    size = 0
    for file in files:
        try:
            size += file.stat().st_size
        except OSError:
            pass  # read_deck says what is wrong with it
    if len(files) < 2 or n_cores < 2 or size <= PARALLEL_BYTES:
        return {f: partial(_read_here, f, stamps[f], cache, digests) for f in files}, False
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # Forked where that is safe (`cores.can_fork`: a first sync runs no other thread), which
    # saves each worker a new interpreter and its imports (100,000 cards: ~0.4 s of CPU);
    # spawned where this process runs a thread (a database check, a study session's).
    fork = can_fork()
    if not fork:
        from dlcards.cores import quiet_resource_tracker

        quiet_resource_tracker()
    pool = ProcessPoolExecutor(
        max_workers=min(n_cores, len(files)),
        mp_context=multiprocessing.get_context("fork" if fork else "spawn"),
        # a killed sync leaves no worker behind
        initializer=forked_worker if fork else exit_with_parent,
    )
    futures = {f: pool.submit(_read_and_digest, f, stamps[f], cache) for f in files}
    pool.shutdown(wait=False)

    def result(file: Path) -> Parsed:
        try:
            return futures[file].result()
        except (BrokenProcessPool, OSError):  # no worker could start here: parse it here
            return _read_here(file, stamps[file], cache, digests)

    return {f: partial(result, f) for f in files}, True


def load_catalog(
    extra: Sequence[str | Path] = (), use_cache: bool = True, files: Sequence[Path] | None = None
) -> Catalog:
    """All decks, validated and merged. Parses YAML only for deck files that changed, and
    loads a deck's cards only when they are used. `files`: `deck_files(extra)` when the caller
    has it already (as it chose them: `edit` checks its copy of a deck in the deck's place).
    Else a deck error found while the deck files are being saved is looked at again once
    they have settled (`settled`)."""
    if files is not None:
        return Loading(extra, use_cache, files).catalog()
    return settled(lambda looked: Loading(extra, use_cache).catalog(), extra)


class Loading:
    """`load_catalog` begun: the deck files that changed are being parsed (by a pool of
    processes when they are many, `_read_decks`). `cards(file)` gives one file's cards as soon
    as that file is read, so a first sync can write the first decks while the pool parses the
    rest; `catalog()` waits for every file, validates the merge and gives the catalog (its
    errors: the first broken file in order, then a topic or id used twice)."""

    def __init__(
        self,
        extra: Sequence[str | Path] = (),
        use_cache: bool = True,
        files: Sequence[Path] | None = None,
        digests: bool = False,
    ) -> None:
        """`digests`: the decks parsed here come with their cards' sync digests (`digests`;
        a sync's loading)."""
        if files is None:
            files = deck_files(extra)
        self.extra = tuple(extra)
        self.files = tuple(files)
        self.use_cache = use_cache
        self.root = cache_dir() / "decks"
        index: dict[str, Any] = {}
        if use_cache:
            try:
                loaded = read_cache_json(self.root / "index.json")
            except (OSError, ValueError):
                loaded = None
            if isinstance(loaded, dict):
                index = loaded
        self.index = index
        self.parsed: dict[Path, Deck] = {}
        self.made: dict[Path, Premade | None] = {}
        self.hashes: dict[Path, str | None] = {}
        self.summaries: dict[Path, Summary] = {}
        self.stamps = {file: _stamp(file) for file in files}
        self.keys = {file: _key(file) for file in files}
        # each file's entry, before any is replaced below (two files may share a key)
        self.entries: dict[Path, Any] = {file: index.get(self.keys[file]) for file in files}
        todo = [f for f in files if not _indexed(self.entries[f], f, self.stamps[f])]
        self.fresh, self.pooled = _read_decks(
            todo, self.stamps, self.root if use_cache else None, digests
        )
        self._catalog: Catalog | None = None

    def cards(self, file: Path) -> Sequence[Card]:
        """The cards of deck file `file` (one of `files`), parsed or from the cache."""
        if file in self.fresh:
            return self._parsed(file).cards
        return self._load(_info_from_index(file, self.stamps[file], self.entries[file])).cards

    def premade(self, file: Path) -> Premade | None:
        """Deck file `file`'s rows as a first sync writes them (`rows.Premade`, in the order
        of `cards`), when the worker that parsed it made them; None otherwise. Its cards are
        not loaded for them."""
        if file in self.fresh:
            self._got(file)
        return self.made.get(file)

    def digests(self, file: Path) -> list[tuple[str, str, str]] | None:
        """Each card's digests that a sync compares (`rows.card_digests` without the search
        text), in the order of `cards`, of deck file `file` when it was parsed here with them
        (`Loading(digests=True)`); None otherwise."""
        if file in self.fresh:
            self._got(file)
        hashes = self.hashes.get(file)
        if hashes is None:
            return None
        step = SYNC_DIGEST_CHARS // 3
        return [
            (
                hashes[i : i + step],
                hashes[i + step : i + 2 * step],
                hashes[i + 2 * step : i + 3 * step],
            )
            for i in range(0, len(hashes), SYNC_DIGEST_CHARS)
        ]

    def title(self, file: Path) -> str:
        """The title of deck file `file`'s topic (as `cards`, parsed or from the cache)."""
        if file in self.fresh:
            return self._got(file)[2]
        return _info_from_index(file, self.stamps[file], self.entries[file]).title

    def catalog(self) -> Catalog:
        """Every deck read, the cache's index written, the merge checked: the catalog."""
        if self._catalog is not None:
            return self._catalog
        infos: list[DeckInfo] = []
        changed = False
        index = self.index
        for file in self.files:
            stamp, key = self.stamps[file], self.keys[file]
            if file not in self.fresh:
                infos.append(_info_from_index(file, stamp, self.entries[file]))
                continue
            info = _info(self._got(file), file, stamp)
            infos.append(info)
            if self.use_cache:
                index[key] = {
                    "file": str(file),
                    "stamp": stamp,
                    "topic": info.topic,
                    "title": info.title,
                    # one string (ids have no newline): a list of 100,000 ids, ~15 ms each way
                    "ids": info.id_text,
                    "math": info.math,
                    "quiz": info.quiz_text,
                    "guids": info.guid_text,
                    "tags": info.tag_text,
                    "anki_deck": info.anki_deck,
                    "own_cards": info.own_cards,
                }
                changed = True
        # decks read from the index whose entries were checked together, each as it is now
        kept = [file for file in self.files if file not in self.fresh]
        tokens = {self.entries[file].get("apart") for file in kept}
        together = len(tokens) == 1 and None not in tokens
        try:
            check_merge(infos, self._load, set(kept) if together else ())
        except DeckError:
            if changed:
                self._write_index()  # what was parsed, for next time
            raise
        if self.use_cache and (changed or not together):
            # a new mark of decks checked together: random, so no two checks share one
            apart = os.urandom(8).hex()
            for file in self.files:
                entry = index.get(self.keys[file])
                if isinstance(entry, dict) and entry.get("file") == str(file):
                    entry["apart"] = apart
            self._write_index()
        self._catalog = Catalog(infos, self._load)
        return self._catalog

    def _write_index(self) -> None:
        """The cache's index written, without the entries of deck files that are gone."""
        index = self.index
        for old in [
            k
            for k, e in index.items()
            if not isinstance(e, dict)
            or not Path(str(e.get("file", ""))).is_file()
            or k != _key(Path(str(e["file"])))  # named by an older dlcards's key
        ]:
            del index[old]  # the deck file is gone: forget it and its cached cards
            (self.root / f"{old}.json").unlink(missing_ok=True)
        _write_json(self.root / "index.json", index)

    def _got(self, file: Path) -> Summary:
        """A changed file parsed once (here or by the pool; raises its DeckError): its deck's
        summary; the deck (if it came) and its rows kept."""
        summary = self.summaries.get(file)
        if summary is None:
            deck, self.made[file], summary, self.hashes[file] = self.fresh[file]()
            if deck is not None:
                self.parsed[file] = deck
                if summary is None:
                    summary = _summary(deck)
            if summary is None:  # (a worker sends both, or the deck)
                raise ValueError(f"{file}: parsed without its deck or summary")
            self.summaries[file] = summary
        return summary

    def _parsed(self, file: Path) -> Deck:
        """A changed file's deck, parsed once (here or by the pool; read from the cache entry
        the pool's worker wrote, when it sent no deck)."""
        deck = self.parsed.get(file)
        if deck is None:
            summary = self._got(file)
            deck = self.parsed.get(file)
            if deck is None:
                deck = self.parsed[file] = self._cached(_info(summary, file, self.stamps[file]))
        return deck

    def _load(self, info: DeckInfo) -> Deck:
        if info.file in self.fresh:
            return self._parsed(info.file)
        return self._cached(info)

    def _cached(self, info: DeckInfo) -> Deck:
        """The deck of `info` from its cache entry; parsed again when the entry is missing,
        damaged or of another version of the file (`_read_again`)."""
        root = self.root
        try:
            data = read_cache_json(root / f"{_key(info.file)}.json")
            if not isinstance(data, dict) or data.get("file") != str(info.file):
                raise ValueError("cache entry of another deck file")
            deck = _deck_from_json(data, info.path, info.stamp)
        except (OSError, ValueError, KeyError, TypeError):
            # a damaged or stale cache entry: parse the file again and write the entry anew
            # (else every later run would parse it again)
            deck = self._read_again(info)
        return deck  # not kept here: the Catalog keeps the decks it shows (not those it streams)

    def _read_again(self, info: DeckInfo) -> Deck:
        """Deck file `info.file` parsed again, its cache entry written anew, for a deck whose
        cache entry is missing, damaged, or of another version of the file (saved since the
        index was read: a study session's catalog lives for the session). The file may be
        mid-save just then, as for every other look at the decks (`settled`): missing, not
        loading, or without cards the index gives it, it is looked at again once the deck
        files have been left alone; the error, or the deck as cut, was taken as the truth (a
        session ended on the error, or on "unknown card id" for a card it had queued)."""
        root = self.root if self.use_cache else None
        indexed = set(info.ids)

        def attempt(looked: int | None) -> Deck:
            stamp = _stamp(info.file)  # before the read: the entry serves the file as read
            deck = _read_and_cache(info.file, stamp, root)[0]
            if looked is not None and not indexed <= {card.id for card in deck.cards}:
                # cards the index gives it are gone: waited for, then taken
                raise Unsettled(found=deck)
            return deck

        return settled(attempt, self.extra)
