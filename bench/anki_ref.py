"""Anki as the reference: the same collection in Anki's Rust backend, and its two hot paths.

Optional: needs the `anki` package from PyPI (`pip install '.[bench]'`); without it
`available()` is False and bench/run.py says it skipped the reference.

- `build(path, card_ids, rows, today)` writes an Anki collection of the synthetic collection's
  shape: one note (Basic) and one card per dlcards card, in one deck per topic under a parent
  deck that is selected (Anki's queue and counts are those of the selected deck and its
  children); cards with a history are review cards whose due day, interval, ease, reps and
  lapses are the last state of their SM-2 history (dates moved so that `today` is Anki's
  today), the others new cards in deck order; every review row is a `revlog` row. Written
  straight into the collection's tables (`col.db.executemany` in one transaction, the columns of
  rslib/src/storage/{note,card,revlog}/add*.sql), not note by note through the API.
- `python bench/anki_ref.py first PATH` opens the collection and gets the first queued card
  (`col.sched.get_queued_cards(fetch_limit=1)`), printing `FIRST_MARK` when it has it;
  `python bench/anki_ref.py counts PATH` opens it and gets every deck's due and new counts
  (`col.sched.deck_due_tree()`, Anki's deck list: what `dlcards due` shows per topic). Each is
  timed by bench/run.py as a fresh process, like dlcards's commands.

The deck options stay Anki's defaults (20 new cards and 200 reviews a day), which are dlcards's
defaults too. Note fields hold the card id and a short answer: neither measure reads them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

FIRST_MARK = b"anki first card: "
PARENT = "dlcards-bench"
DAY_MS = 86_400_000


def available() -> bool:
    """Whether the `anki` package can be imported (without importing it)."""
    return importlib.util.find_spec("anki") is not None


def version() -> str | None:
    if not available():
        return None
    from anki.buildinfo import version as v

    return str(v)


def _csum(text: str) -> int:
    return int(hashlib.sha1(text.encode()).hexdigest()[:8], 16)


def _topic(card_id: str) -> str:
    return card_id.rsplit("-", 1)[0]


def build(path: Path, card_ids: Sequence[str], log: Any, today: date) -> dict[str, Any]:
    """Write the collection at `path` (which must not exist) from `log`, a `synth.AnkiLog` of
    the history (its rows in Anki's `revlog` form, each card's last SM-2 state). Returns
    counts and seconds."""
    from anki.collection import Collection

    from dlcards.export.anki import note_guid

    started = time.perf_counter()
    col = Collection(str(path))
    try:
        # Anki's day numbers count from the collection's creation: make it ten years old, so
        # that every due day of the history is a positive day number.
        col.db.execute("update col set crt = crt - ?", 3650 * 86400)
        anki_today = col.sched.today
        shift_ms = (date.today() - today).days * DAY_MS  # the history ends before Anki's today
        basic = col.models.by_name("Basic")
        assert basic is not None
        mid = basic["id"]
        parent = col.decks.id(PARENT)
        assert parent is not None
        deck_of: dict[str, int] = {}
        base = 1_500_000_000_000  # note and card ids: stable, unique, in deck order
        revlog = [(ms + shift_ms, base + card, 0, *rest) for ms, card, *rest in log.sorted()]
        notes: list[tuple[Any, ...]] = []
        cards: list[tuple[Any, ...]] = []
        mod = int(time.time())
        new_position = 0
        for n, cid in enumerate(card_ids):
            topic = _topic(cid)
            did = deck_of.get(topic)
            if did is None:
                did = deck_of[topic] = col.decks.id(f"{PARENT}::{topic}")
            nid = base + n
            notes.append(
                (nid, note_guid(cid), mid, mod, 0, "", f"{cid}\x1fanswer", cid, _csum(cid), 0, "")
            )
            s = log.last.get(cid)
            if s is None:
                new_position += 1
                fields = (0, 0, new_position, 0, 0, 0, 0)  # type, queue, due, ivl, factor, ...
            else:
                due = anki_today + ((s.due or today) - today).days
                fields = (2, 2, due, max(1, s.interval), s.ef * 10, s.repetitions, s.lapses)
            cards.append((nid, nid, did, 0, mod, 0, *fields, 0, 0, 0, 0, ""))

        def write() -> None:
            col.db.executemany(
                "insert into notes (id, guid, mid, mod, usn, tags, flds, sfld, csum, flags, "
                "data) values (?,?,?,?,?,?,?,?,?,?,?)",
                notes,
            )
            col.db.executemany(
                "insert into cards (id, nid, did, ord, mod, usn, type, queue, due, ivl, factor, "
                "reps, lapses, left, odue, odid, flags, data) "
                "values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                cards,
            )
            step = 200_000
            for i in range(0, len(revlog), step):
                col.db.executemany(
                    "insert into revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type) "
                    "values (?,?,?,?,?,?,?,?,?)",
                    revlog[i : i + step],
                )

        col.db.transact(write)
        col.decks.select(parent)
        out = {
            "cards": len(cards),
            "new": new_position,
            "revlog": len(revlog),
            "decks": len(deck_of),
            "anki_today": anki_today,
        }
    finally:
        col.close()
    out["build_s"] = time.perf_counter() - started
    return out


# --- the measured children ----------------------------------------------------------------------


def first_card(path: str) -> None:
    from anki.collection import Collection

    col = Collection(path)
    queued = col.sched.get_queued_cards(fetch_limit=1)
    if not queued.cards:
        raise SystemExit("anki: nothing to study")
    out = sys.stdout.buffer
    out.write(FIRST_MARK + str(queued.cards[0].card.id).encode() + b"\n")
    out.flush()
    col.close()


def deck_counts(path: str) -> tuple[int, int]:
    from anki.collection import Collection

    col = Collection(path)
    tree = col.sched.deck_due_tree()
    due = sum(child.review_count for child in tree.children)
    new = sum(child.new_count for child in tree.children)
    print(f"anki: {due} due, {new} new")
    col.close()
    return due, new


if __name__ == "__main__":
    what, where = sys.argv[1], sys.argv[2]
    if what == "first":
        first_card(where)
    elif what == "counts":
        deck_counts(where)
    else:
        raise SystemExit(f"usage: {sys.argv[0]} first|counts PATH")
