"""Model-check `dlcards undo`: which thing it took back, under concurrency, moved clocks and kills.

    python bench/undo_model.py --rounds 200 --seed 1 [--keep 3] [--keep-bytes 300]
                               [--kill 0.25] [--die-p 0.3] [--work /dev/shm/dlcards-undo-model]
                               [--no-imports]

bench/torture.py checks that grades are saved and taken back one at a time; this one checks
WHICH thing each `undo` took back. Every dlcards process runs under bench/undo_shim.py, which
notes every commit, in commit order (under the write lock, just before COMMIT), with a snapshot
of what undo can take back: the study grades, the suspend/unsuspend/unleech actions, the cards'
reset marks, suspensions and leech marks, the reset record, and the reviews no study gave (an
import's). From the sequence of commits the harness keeps a stack model:

- a study grade, an action, a reset each push one entry; an action pruned (`actions.KEEP`,
  made small by --keep) or a reset line dropped from its record (--keep-bytes) raises the floor
  to that entry (undo never goes at or below the floor);
- each `undo` commit must take back exactly one thing, and it must be the top of the stack,
  above the floor (a reset: its cards' marks put back exactly as they were before it);
- no command but `study` adds a grade, no command but `undo` removes one, only `reset` and
  `undo` move reset marks, no command but `import` adds a review of no study;
- `import anki`: an action (suspend, unsuspend, unleech) on the stack whose card's flag an
  import changed since is not taken back: undo drops it with its cards' flags untouched; any
  other action undone leaves its cards' flags as before it; a reset undone puts back exactly
  its cards no import answered since (an answer dated after the reset point), and is dropped
  (undo refuses it) only when an import answered all of them; no import brings back a grade
  undo took back (same card, same moment);
- a lone `undo` that took back nothing said "nothing older to undo" only when the top is at or
  below the floor, "nothing to undo" only when the stack is empty;
- after every round `dlcards doctor --check` exits 0, no output holds a traceback, no command
  hangs.

Each round runs 1-4 concurrent processes (`study` through its line protocol with one grade,
`undo`, `suspend`, `unsuspend`, `reset --yes`, `unleech`, `import anki PACKAGE`; every 30
rounds, 12 lone undos in a row walk down to the floor). Every 8 rounds a package is made:
`export anki --with-progress` at the round's clock, imported into a new real Anki collection
(the `anki` package, with scheduling), where 1-4 cards are answered with Anki's scheduler at
moments up to 3 hours before the round's clock, a card is suspended or unsuspended and a note's
`leech` tag removed (60% of them the cards of actions and resets undo may go back to), then
exported from Anki with scheduling; `import anki` takes one of the newest three. Rounds 36-38
of every 40 are a drill (`Harness.drill`): a lone reset (or suspend) of a studied card, a
package where Anki answered (or unsuspended) it just after and its import, then a lone undo,
which must refuse and drop it (the random rounds seldom make an import change the top). Each
process has its own clock: a base that moves every 4 rounds (days forward, hours or days back)
plus up to two hours either way, and half the time DLCARDS_TODAY set to its day. --kill of them
are sent SIGKILL, SIGTERM or SIGHUP: half while the shim holds the process just before its
first COMMIT, the snapshot noted (so that the kill lands inside the transaction; a command ends
in ~0.2 s, and a moment drawn up to 1 s came after most ends), half at a moment up to the
median time that kind of command took; an `undo` or `reset` SIGKILLs itself just before or just
after its COMMIT with probability --die-p. The summary names the seed and the rounds to replay;
the exit is 1 on any mismatch. UNDO_MODEL_WRONG=1 in the environment makes every `undo` take
back the second-newest grade or action: the harness must then fail (tests/test_bench_tools.py).
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHIM = Path(__file__).resolve().parent / "undo_shim.py"
KINDS = ["study", "undo", "suspend", "unsuspend", "reset", "unleech", "import"]
WEIGHTS = [30, 30, 10, 8, 12, 3, 7]
LANDED = {
    -signal.SIGKILL,
    -signal.SIGTERM,
    -signal.SIGHUP,
    128 + signal.SIGTERM,
    128 + signal.SIGHUP,
}
"""The exits of a process a signal ended (dlcards ends a SIGTERM or SIGHUP as 143 or 129)."""
SIGNALS = [signal.SIGKILL, signal.SIGKILL, signal.SIGTERM, signal.SIGHUP]
HANG = 150.0

Entry = tuple[str, Any]  # ("grade", review id) | ("action", action id) | ("reset", marks moved)


def _cards(text: Any) -> list[str]:
    """The card ids of an action's `cards` (JSON: [card id, before, after] each)."""
    return [str(ch[0]) for ch in (json.loads(text) if isinstance(text, str) else text)]


@dataclass
class Model:
    """The stack of what undo takes back, fed one committed snapshot at a time."""

    stack: list[tuple[int, Entry]] = field(default_factory=list)  # (index, entry), oldest first
    floor: int = -1  # undo never takes back an entry whose index is at or below it
    pushed: int = 0
    by_record: dict[tuple[int, int], int] = field(default_factory=dict)  # reset line -> index
    prev: dict[str, Any] = field(
        default_factory=lambda: {"grades": [], "acts": [], "marks": {}, "recs": []}
    )
    undos: int = 0  # undo commits checked against the stack
    floors_raised: int = 0
    cards_of: dict[int, list[str]] = field(default_factory=dict)  # action id -> its cards
    kind_of: dict[int, str] = field(default_factory=dict)  # action id -> its kind
    blocked: set[int] = field(default_factory=set)  # actions whose card an import changed since
    undone_at: dict[tuple[str, int], int] = field(default_factory=dict)  # (card, at) -> review
    refusals: int = 0  # actions and resets undo had to drop: an import changed them since
    refused_resets: int = 0  # of them, resets
    studied: dict[int, set[str]] = field(default_factory=dict)  # reset -> cards answered since

    def push(self, entry: Entry) -> int:
        self.pushed += 1
        self.stack.append((self.pushed, entry))
        return self.pushed

    def top(self) -> Entry | None:
        return self.stack[-1][1] if self.stack else None

    def above_floor(self) -> bool:
        return bool(self.stack) and self.stack[-1][0] > self.floor

    def _raise_floor(self, index: int) -> None:
        if index > self.floor:
            self.floor = index
            self.floors_raised += 1

    def _drop(self, entry: Entry) -> None:
        self.stack = [e for e in self.stack if e[1] != entry]

    def step(self, ev: dict[str, Any]) -> list[str]:
        """Apply one commit's snapshot `ev`; the problems it shows."""
        problems: list[str] = []
        prev, self.prev = self.prev, ev
        cmd = ev["argv"][0] if ev["argv"] else "?"
        tag = f"commit {ev['tok']} (pid {ev['pid']} `{' '.join(ev['argv'])}`)"
        pg, cg = {g[0] for g in prev["grades"]}, {g[0] for g in ev["grades"]}
        pa, ca = {a[0] for a in prev["acts"]}, {a[0] for a in ev["acts"]}
        pm, cm = prev["marks"], ev["marks"]
        moved = {k: (pm.get(k), cm.get(k)) for k in set(pm) | set(cm) if pm.get(k) != cm.get(k)}
        precs = {tuple(r) for r in prev["recs"]}
        crecs = {tuple(r) for r in ev["recs"]}
        gone_g, gone_a = sorted(pg - cg), sorted(pa - ca)
        pf, cf = prev.get("flags", {}), ev.get("flags", {})
        flipped = {  # (card, 0) its suspension changed, (card, 1) its leech mark
            (k, i)
            for k in set(pf) | set(cf)
            for i in (0, 1)
            if pf.get(k, [0, 0])[i] != cf.get(k, [0, 0])[i]
        }
        pi = {r[0] for r in prev.get("imported", [])}
        new_imported = [r for r in ev.get("imported", []) if r[0] not in pi]
        if new_imported and cmd != "import":
            problems.append(f"{tag}: `{cmd}` added reviews of no study: {new_imported[:3]}")
        for _rid, card, at, _anki in new_imported:
            back = self.undone_at.get((card, at))
            if back is not None:  # the answer taken back is back, under another kind
                problems.append(
                    f"{tag}: the import brought back grade {back} on {card}, taken back by undo"
                )
        if cmd == "import":  # a flag Anki's side changed: the actions on it are no longer undone
            for _, entry in self.stack:  # (an action's flag: its kind's own)
                if entry[0] != "action":
                    continue
                flag = 1 if self.kind_of.get(entry[1]) == "unleech" else 0
                if {(k, flag) for k in self.cards_of.get(entry[1], ())} & flipped:
                    self.blocked.add(entry[1])
            problems += self._imported_into_resets(new_imported)
        for rid, card, _grade, *at in prev["grades"]:
            if rid in pg - cg and at and at[0] is not None:
                self.undone_at[(card, int(at[0]))] = rid
        for rid in sorted(cg - pg):
            if cmd != "study":
                problems.append(f"{tag}: grade {rid} added by `{cmd}`")
            self.push(("grade", rid))
        if cmd != "undo":  # actions pruned: the floor rises to the newest of them
            for aid in gone_a:
                for index, entry in self.stack:
                    if entry == ("action", aid):
                        self._raise_floor(index)
                self._drop(("action", aid))
        for rec in sorted(precs - crecs):  # reset lines dropped from the record
            index = self.by_record.pop(rec, None)  # type: ignore[arg-type]
            if index is None or not any(i == index for i, _ in self.stack):
                continue
            if cmd == "undo":  # passed over, for good, a reset it cannot take back
                if self.stack[-1][0] != index:
                    problems.append(f"{tag}: dropped reset {index}, but the top was {self.top()}")
                else:
                    entry = self.stack[-1][1]
                    self.refusals += 1
                    self.refused_resets += 1
                    if self.reset_left(index, entry) or not self.studied.get(index):
                        problems.append(
                            f"{tag}: dropped reset {index} of {sorted(entry[1])}, which no "
                            f"import answered all of since (answered: "
                            f"{sorted(self.studied.get(index, ()))})"
                        )
                self.stack = [e for e in self.stack if e[0] != index]
            else:
                self._raise_floor(index)
        for aid in sorted(ca - pa):
            if cmd not in ("suspend", "unsuspend", "unleech", "study"):
                problems.append(f"{tag}: action {aid} added by `{cmd}`")
            self.push(("action", aid))
            act = next(a for a in ev["acts"] if a[0] == aid)
            self.kind_of[aid] = act[1]
            self.cards_of[aid] = _cards(act[2])
        if moved and cmd == "reset":
            index = self.push(("reset", moved))
            self.studied[index] = set()
            own = tuple(ev["recs"][0]) if ev["recs"] else None  # the newest line is its own (a
            if own in crecs - precs:  # reset killed before its COMMIT left an inert one too)
                self.by_record[own] = index
        elif moved and cmd != "undo":
            problems.append(f"{tag}: reset marks moved by `{cmd}`: {moved}")
        if cmd == "undo":
            problems += self._undo(tag, gone_g, gone_a, moved, pf, cf)
        elif gone_g:
            problems.append(f"{tag}: `{cmd}` took away grades {gone_g}")
        return problems

    def _imported_into_resets(self, added: list[list[Any]]) -> list[str]:
        """Answers an import brought, dated after a reset of their card: those cards were
        studied since that reset (outside `study`), and its undo leaves them as they are."""
        for index, entry in self.stack:
            if entry[0] != "reset":
                continue
            for _rid, card, at, _anki in added:
                mark = entry[1].get(card)
                if mark is not None and mark[1] and at is not None and at > mark[1][0]:
                    self.studied[index].add(card)
        return []

    def reset_left(self, index: int, entry: Entry) -> set[str]:
        """The cards of reset `entry` its undo puts back: those no import answered since."""
        return set(entry[1]) - self.studied.get(index, set())

    def _undo(
        self,
        tag: str,
        gone_g: list[int],
        gone_a: list[int],
        moved: dict[str, Any],
        pf: dict[str, Any],
        cf: dict[str, Any],
    ) -> list[str]:
        undone: list[Entry] = [("grade", r) for r in gone_g] + [("action", a) for a in gone_a]
        n = len(undone) + bool(moved)
        if n == 0:
            return []  # a commit that took nothing back (a dropped reset, a floor note)
        self.undos += 1
        if n > 1:
            return [f"{tag}: one undo took back {n} things: {undone} {moved}"]
        problems = []
        top = self.top()
        if not self.above_floor():
            problems.append(f"{tag}: undid {undone or moved} at or below the floor (top {top})")
        if moved:
            ok = (
                top is not None
                and top[0] == "reset"
                and all(k in top[1] and tuple(top[1][k]) == (v[1], v[0]) for k, v in moved.items())
            )
            if not ok:
                problems.append(f"{tag}: undid reset {moved}, but the top was {top}")
            else:
                index = self.stack[-1][0]
                assert top is not None
                left = self.reset_left(index, top)
                if set(moved) != left:
                    problems.append(
                        f"{tag}: undid the reset of {sorted(moved)}, but of its cards "
                        f"{sorted(top[1])} those answered since in an import are "
                        f"{sorted(self.studied.get(index, ()))}: expected {sorted(left)}"
                    )
                self.stack.pop()
        else:
            if top != undone[0]:
                problems.append(
                    f"{tag}: undid {undone[0]}, but the top was {top} "
                    f"(stack {[e for _, e in self.stack[-4:]]})"
                )
            elif undone[0][0] == "action":
                problems += self._action_undone(tag, int(undone[0][1]), pf, cf)
            self._drop(undone[0])
        return problems

    def _action_undone(
        self, tag: str, aid: int, pf: dict[str, Any], cf: dict[str, Any]
    ) -> list[str]:
        """The top action `aid` left the table: taken back (its cards' flags as before it),
        or, an import having changed a card of it since, dropped with no card changed."""
        cards = self.cards_of.get(aid, [])
        flag = 1 if self.kind_of.get(aid) == "unleech" else 0
        changed = [k for k in cards if pf.get(k, [0, 0])[flag] != cf.get(k, [0, 0])[flag]]
        if aid in self.blocked:
            self.refusals += 1
            if changed:
                return [f"{tag}: took back action {aid} over an import's change of {changed}"]
            return []
        kind = self.kind_of.get(aid)
        before = {"suspend": (0, 0), "unsuspend": (0, 1), "unleech": (1, 1)}.get(kind or "")
        if before is None:
            return []
        wrong = [k for k in cards if cf.get(k, [0, 0])[before[0]] != before[1]]
        if wrong:
            return [
                f"{tag}: action {aid} ({kind} {cards}) left the table, no import having "
                f"changed its cards, but {wrong} are not as before it (flags {pf} -> {cf})"
            ]
        return []

    def refusal(self, said: str) -> str | None:
        """A lone undo that committed nothing said `said`: a problem if the model disagrees."""
        if said.startswith("nothing older to undo") and self.above_floor():
            return f"undo said {said[:60]!r}, but the top {self.top()} is above the floor"
        if said.startswith("nothing to undo") and self.stack:
            return f"undo said 'nothing to undo', but the stack holds {self.stack[-3:]}"
        return None


@dataclass
class Proc:
    kind: str
    argv: list[str]
    stdin: str
    shift: float
    today: str | None
    proc: subprocess.Popen[str] | None = None
    started: float = 0.0
    kill_at: float | None = None
    signum: int | None = None
    killed: bool = False
    pause: float = 0.0  # the shim waits so long before the COMMIT the kill is sent in
    pause_file: Path | None = None
    ended: float = 0.0
    die: bool = True  # an `undo` or `reset` may SIGKILL itself at its COMMIT (--die-p)
    kind_drill: str = ""  # the undo of a drill (`Harness.drill`): of a reset or a suspend
    out: str = ""
    err: str = ""


@dataclass
class Figures:
    rounds: int = 0
    commands: collections.Counter[str] = field(default_factory=collections.Counter)
    kills: collections.Counter[str] = field(default_factory=collections.Counter)
    landed: collections.Counter[str] = field(default_factory=collections.Counter)
    self_kills: int = 0
    packages: int = 0
    anki_answers: int = 0
    anki_flags: int = 0
    anki_checked: int = 0  # packages Anki exported only after its Check Database
    drills: collections.Counter[str] = field(default_factory=collections.Counter)
    drill_said: collections.Counter[str] = field(default_factory=collections.Counter)
    undo_said: collections.Counter[str] = field(default_factory=collections.Counter)
    import_said: collections.Counter[str] = field(default_factory=collections.Counter)
    failed_rounds: list[int] = field(default_factory=list)
    problems: int = 0


class Harness:
    def __init__(self, args: argparse.Namespace) -> None:
        self.work: Path = args.work
        self.seed: int = args.seed
        self.rng = random.Random(args.seed)
        self.args = args
        self.db = self.work / "p.db"
        self.events = self.work / "events.jsonl"
        self.model = Model()
        self.figures = Figures()
        self.done_tok = 0
        self.seen_lines = 0
        self.base = 0.0
        ids: list[str] = []
        for f in sorted((ROOT / "decks").glob("*.yaml")):
            ids += re.findall(r"^- id: (\S+)", f.read_text(encoding="utf-8"), re.M)
        self.pool = ids[:12]  # few cards: processes collide on them
        self.packages: list[Path] = []  # exported here, answered in a real Anki
        self.anki = args.imports and importlib.util.find_spec("anki") is not None
        self.drill_card = ""
        self.took: dict[str, list[float]] = collections.defaultdict(list)  # kind -> seconds

    def env(
        self, shift: float, today: str | None, die: bool, p: Proc | None = None
    ) -> dict[str, str]:
        e = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DLCARDS_DB": str(self.db),
            "DLCARDS_DECKS": str(ROOT / "decks"),
            "DLCARDS_CACHE_DIR": str(self.work / "cache"),
            "NO_COLOR": "1",
            "COLUMNS": "100",
            "UNDO_MODEL_EVENTS": str(self.events),
            "UNDO_MODEL_SHIFT": str(shift),
            "UNDO_MODEL_KEEP": str(self.args.keep),
            "UNDO_MODEL_KEEP_BYTES": str(self.args.keep_bytes),
        }
        e.pop("DLCARDS_TODAY", None)
        for name in ("UNDO_MODEL_PAUSE", "UNDO_MODEL_PAUSE_AT", "UNDO_MODEL_PAUSE_FILE"):
            e.pop(name, None)
        if p is not None and p.pause and p.pause_file is not None:
            e.update(
                UNDO_MODEL_PAUSE=str(p.pause),
                UNDO_MODEL_PAUSE_AT="1",
                UNDO_MODEL_PAUSE_FILE=str(p.pause_file),
            )
        if today:
            e["DLCARDS_TODAY"] = today
        if die and self.args.die_p > 0:
            e.update(
                UNDO_MODEL_DIE="before,after",
                UNDO_MODEL_DIE_P=str(self.args.die_p),
                UNDO_MODEL_DIE_CMDS="undo,reset",
            )
        else:
            e.pop("UNDO_MODEL_DIE", None)
        return e

    def start(self, p: Proc, die: bool = True) -> None:
        p.proc = subprocess.Popen(
            [sys.executable, str(SHIM), *p.argv],
            env=self.env(p.shift, p.today, die and p.die, p),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=self.work,
        )
        p.started = time.monotonic()

    def run_quiet(self, argv: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
        """A command of the harness's own (setup, doctor): no kill, the round's base clock."""
        env = self.env(self.base, None, die=False)
        env.pop("UNDO_MODEL_WRONG", None)
        return subprocess.run(
            [sys.executable, str(SHIM), *argv],
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=HANG,
            cwd=self.work,
        )

    def setup(self) -> None:
        if self.work.exists():
            shutil.rmtree(self.work)
        self.work.mkdir(parents=True)
        done = self.run_quiet(["study"], "\n4\n\n3\n\n5\n\n4\n\n2\nq\n")
        if done.returncode != 0:
            sys.exit(f"undo_model: the first study failed: {done.stderr.strip()[-300:]}")
        self.read_events()

    def make_package(self, n: int, drill: tuple[str, str] | None = None) -> None:
        """`export anki --with-progress` of the collection (at the round's clock), imported into
        a new real Anki collection (the `anki` package) with its scheduling, where a few of the
        pool's cards are answered with Anki's scheduler at moments about the round's clock
        (some before its newest resets), a card is suspended or unsuspended, a note's `leech`
        tag removed, and exported again with scheduling: what `import anki` takes back in."""
        from anki.collection import (
            Collection,
            ExportAnkiPackageOptions,
            ImportAnkiPackageOptions,
            ImportAnkiPackageRequest,
        )
        from anki.errors import InvalidInput
        from anki.scheduler.v3 import CardAnswer

        rng = self.rng
        out = self.work / "pkgs"
        out.mkdir(exist_ok=True)
        sent = out / f"sent-{n}.apkg"
        done = self.run_quiet(["export", "anki", "-o", str(sent), "--with-progress", "--force"])
        if done.returncode != 0:
            sys.exit(f"undo_model: the export failed: {done.stdout[-300:]} {done.stderr[-300:]}")
        folder = out / f"anki-{n}"
        folder.mkdir()
        col = Collection(str(folder / "collection.anki2"))
        sched: Any = col.sched
        db: Any = col.db
        try:
            col.import_anki_package(
                ImportAnkiPackageRequest(
                    package_path=str(sent), options=ImportAnkiPackageOptions(with_scheduling=True)
                )
            )
            cards = {}
            for nid in col.find_notes(""):
                note = col.get_note(nid)
                if note["CardId"] in self.pool:
                    cards[note["CardId"]] = note.cards()[0].id
            now_ms = int((time.time() + self.base) * 1000)
            rating = [CardAnswer.AGAIN, CardAnswer.HARD, CardAnswer.GOOD, CardAnswer.EASY]
            # the cards undo may go back to: answered or changed there more often than others
            acted = sorted(
                {
                    c
                    for _, e in self.model.stack
                    if e[0] == "action"
                    for c in self.model.cards_of[e[1]]
                }
                | {c for _, e in self.model.stack if e[0] == "reset" for c in e[1]}
            )
            acted = [c for c in acted if c in cards]

            def pick() -> Any:  # an Anki card id
                return cards[rng.choice(acted if acted and rng.random() < 0.6 else sorted(cards))]

            if drill is not None:  # only the drill's card: answered just now, or unsuspended
                drilled = cards[drill[1]]
                if drill[0] == "suspend":  # now (Anki's clock): after the drill's suspension
                    sched.unsuspend_cards([drilled])
            for k in range(rng.randint(1, 4) if drill is None else 1):
                cid = pick() if drill is None else cards[drill[1]]
                card = col.get_card(cid)
                if card.queue < 0:  # suspended or buried: Anki shows it not
                    continue
                card.start_timer()
                states = col._backend.get_scheduling_states(card.id)
                answer = sched.build_answer(card=card, states=states, rating=rng.choice(rating))
                if drill is None:
                    answer.answered_at_millis = now_ms - rng.randint(0, 3 * 3600_000) + k
                else:  # now (Anki's clock): after the drill's reset, made a minute back
                    answer.answered_at_millis = int(time.time() * 1000) - 2000
                sched.answer_card(answer)
                self.figures.anki_answers += 1
                # the card changed then (its mod: seconds), at the round's clock, not Anki's
                db.execute(
                    "UPDATE cards SET mod = ? WHERE id = ?", answer.answered_at_millis // 1000, cid
                )
            changed = []
            if drill is None and rng.random() < 0.5:
                cid = pick()
                if col.get_card(cid).queue == -1:
                    col.sched.unsuspend_cards([cid])
                else:
                    col.sched.suspend_cards([cid])
                changed.append(cid)
            leeches = list(col.find_notes("tag:leech"))
            if leeches and drill is None and rng.random() < 0.5:
                note = col.get_note(rng.choice(leeches))
                note.remove_tag("leech")
                col.update_note(note)
                changed += [c.id for c in note.cards()]
            if changed:  # changed on the phone at the round's clock (its mod: seconds)
                self.figures.anki_flags += 1
                ids = ",".join(str(c) for c in changed)
                db.execute(f"UPDATE cards SET mod = ? WHERE id IN ({ids})", now_ms // 1000)
            options = ExportAnkiPackageOptions(
                with_scheduling=True, with_deck_configs=True, with_media=True, legacy=False
            )
            try:
                col.export_anki_package(
                    out_path=str(out / f"p{n}.apkg"), options=options, limit=None
                )
            except InvalidInput:  # "use the Check Database action": a time ahead of Anki's clock
                col.fix_integrity()
                self.figures.anki_checked += 1
                col.export_anki_package(
                    out_path=str(out / f"p{n}.apkg"), options=options, limit=None
                )
        finally:
            col.close()
        shutil.rmtree(folder)
        sent.unlink()
        self.packages = [*self.packages[-2:], out / f"p{n}.apkg"]
        self.figures.packages += 1

    def read_events(self) -> list[str]:
        """Feed the model every commit since the last call, in token order."""
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        try:
            row = con.execute("SELECT value FROM meta WHERE key = 'undo_model_seq'").fetchone()
        finally:
            con.close()
        last = int(row[0]) if row else 0
        by_tok: dict[int, dict[str, Any]] = {}
        if self.events.exists():
            for line in self.events.read_text(encoding="utf-8").splitlines():
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue  # a line cut by a kill mid-write: its commit never happened
                by_tok[ev["tok"]] = ev  # the last line of a token is the commit that happened
        problems = []
        for tok in range(self.done_tok + 1, last + 1):
            if tok not in by_tok:
                problems.append(f"commit {tok}: no snapshot noted")
                continue
            problems += self.model.step(by_tok[tok])
        self.done_tok = last
        return problems

    def plan(self, n: int) -> list[Proc]:
        rng = self.rng
        if n % 4 == 3:  # the clock moves: days forward, or set back hours or days
            self.base += rng.choice(
                [86400, 2 * 86400, 5 * 3600, -3 * 3600, -86400, -3 * 86400, 4 * 86400]
            )
        drill = self.drill(n)
        if drill is not None:
            return drill
        walk = n % 30 >= 18  # lone undos in a row: down to the floor
        if n % 8 == 2 and self.anki:  # a new package, answered in Anki (the newest 3 kept)
            self.make_package(n)
        procs: list[Proc] = []
        for _ in range(1 if walk else rng.choice([1, 1, 2, 2, 3, 3, 4])):
            card = rng.choice(self.pool)
            kind = "undo" if walk else rng.choices(KINDS, WEIGHTS)[0]
            if kind == "import" and not self.packages:
                kind = "undo"
            package = str(rng.choice(self.packages)) if kind == "import" else ""
            argv = {
                "study": ["study"],
                "undo": ["undo"],
                "suspend": ["suspend", card],
                "unsuspend": ["unsuspend", card],
                "reset": ["reset", card, "--yes"],
                "unleech": ["unleech", card],
                "import": ["import", "anki", package],
            }[kind]
            stdin = "\n" + rng.choice("12345") + "\n" if kind == "study" else ""
            shift = self.base + rng.uniform(-7200, 7200)
            today = None
            if rng.random() < 0.5:
                today = (date.today() + timedelta(seconds=shift)).isoformat()
            p = Proc(kind, argv, stdin, shift, today)
            if rng.random() < self.args.kill:
                p.signum = rng.choice(SIGNALS)
                if rng.random() < 0.5:  # inside its first write transaction, the shim waiting
                    p.pause = rng.uniform(0.05, 0.4)
                    p.pause_file = self.work / f"paused-{n}-{len(procs)}"
                else:  # at a moment of its run, as long as such commands have taken
                    took = sorted(self.took[kind])
                    typical = took[len(took) // 2] if took else 0.5
                    p.kill_at = rng.uniform(0.1, 1.0) * typical
            procs.append(p)
        return procs

    def drill(self, n: int) -> list[Proc] | None:
        """Rounds 36-38 of every 40: an import's effect on undo, on purpose (the random rounds
        seldom have an import change the top of the stack). Lone, unkilled, at the round's
        clock: a `reset` (or, every other time, a `suspend`) of a card; a package where Anki
        answered that card just now (or unsuspended it) and its `import anki`; an `undo`,
        which must refuse that reset (or suspension) and drop it (the model checks it). A
        drill can be inert (the card's last review ahead of Anki's clock, a reset point Anki's
        answer does not pass): the model then expects what undo does then."""
        if not self.anki or n % 40 not in (36, 37, 38):
            return None
        kind = "reset" if (n // 40) % 2 == 0 else "suspend"
        # all three on clocks not ahead of Anki's (the real one), so that Anki's answer, made
        # now, comes after the reset point (the reset's moment, or the card's last review if
        # later) and is not ahead of the import's clock
        if n % 40 == 36:  # a card studied, its last review a while ago: a reset makes it new
            self.drill_card = self.studied_before(time.time() - 120) or self.rng.choice(self.pool)
            argv = (
                ["reset", self.drill_card, "--yes"] if kind == "reset" else [kind, self.drill_card]
            )
            back = min(self.base, 0.0) - 60
            return [Proc(kind, argv, "", back, None, die=False, kind_drill=kind)]
        ahead = max(self.base, 0.0)
        if n % 40 == 37:
            self.make_package(n, (kind, self.drill_card))
            argv = ["import", "anki", str(self.packages[-1])]
            return [Proc("import", argv, "", ahead, None, die=False, kind_drill=kind)]
        self.figures.drills[kind] += 1
        return [Proc("undo", ["undo"], "", ahead, None, die=False, kind_drill=kind)]

    def studied_before(self, when: float) -> str | None:
        """A card of the pool, studied (its memory not new), whose last review is before
        `when` (s): the newest such."""
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        try:
            row = con.execute(
                "SELECT r.card_id FROM reviews r JOIN sm2 s ON s.card_id = r.card_id "
                "WHERE s.last_review IS NOT NULL AND r.card_id IN (SELECT value FROM "
                "json_each(?)) GROUP BY r.card_id HAVING max(r.at) < ? ORDER BY max(r.at) DESC",
                (json.dumps(self.pool), int(when * 1000)),
            ).fetchone()
        finally:
            con.close()
        return None if row is None else str(row[0])

    def run_round(self, procs: list[Proc]) -> list[str]:
        problems = []
        for p in procs:
            self.start(p)
            assert p.proc is not None and p.proc.stdin is not None
            try:
                p.proc.stdin.write(p.stdin)
                p.proc.stdin.close()
            except BrokenPipeError:
                pass
            self.figures.commands[p.kind] += 1
            time.sleep(self.rng.uniform(0, 0.2))
        deadline = time.monotonic() + HANG
        while any(p.proc is not None and p.proc.poll() is None for p in procs):
            now = time.monotonic()
            for p in procs:
                assert p.proc is not None
                if p.pause_file is not None and p.kill_at is None and p.pause_file.exists():
                    # the shim waits `pause` before the COMMIT: the signal lands in that wait
                    p.kill_at = now - p.started + self.rng.uniform(0, p.pause * 0.8)
                due = p.kill_at is not None and now - p.started >= p.kill_at
                if due and not p.killed and p.proc.poll() is None and p.signum is not None:
                    p.proc.send_signal(p.signum)
                    p.killed = True
                    how = "in the transaction" if p.pause_file is not None else "timed"
                    self.figures.kills[f"{signal.Signals(p.signum).name} {how}"] += 1
                if p.ended == 0.0 and p.proc.poll() is not None:
                    p.ended = now
            if now > deadline:
                problems.append(f"hung: {[p.argv for p in procs]}")
                for p in procs:
                    assert p.proc is not None
                    p.proc.kill()
            time.sleep(0.005)
        for p in procs:
            assert p.proc is not None and p.proc.stdout is not None and p.proc.stderr is not None
            p.out, p.err = p.proc.stdout.read(), p.proc.stderr.read()
            p.proc.stdout.close()
            p.proc.stderr.close()
            rc = p.proc.returncode
            if rc == -signal.SIGKILL and not p.killed:
                self.figures.self_kills += 1
            if p.killed and rc in LANDED:
                how = "in the transaction" if p.pause_file is not None else "timed"
                self.figures.landed[how] += 1
            if not p.killed and not p.pause and rc in (0, 1) and p.ended:
                self.took[p.kind].append(p.ended - p.started)
            if "Traceback" in p.out + p.err or "HOOK FAILED" in p.err:
                problems.append(f"`{' '.join(p.argv)}` traceback: {p.err.strip()[-1500:]}")
            elif not p.killed and rc not in (0, 1, 2, -signal.SIGKILL):
                problems.append(f"`{' '.join(p.argv)}` exit {rc}: {p.err.strip()[-300:]}")
            if p.kind_drill:
                said = (p.out + p.err).strip()
                said = re.sub(r"\d+", "N", said.split(" from ")[0].split(" (made")[0])
                self.figures.drill_said[f"{p.kind_drill} {p.kind}: {said[:60]}"] += 1
            if p.kind == "undo" and rc in (0, 1):
                said = (p.out + p.err).strip()
                self.figures.undo_said[said.split(":")[0].split(" on ")[0][:30]] += 1
            if p.kind == "import" and rc in (0, 1, 2):
                said = (p.out + p.err).strip()
                self.figures.import_said[re.sub(r"\d+", "N", said.split(" from ")[0])[:40]] += 1
        return problems

    def round(self, n: int) -> list[str]:
        procs = self.plan(n)
        problems = self.run_round(procs)
        problems += self.read_events()
        lone = procs[0] if len(procs) == 1 else None
        if lone and lone.kind == "undo" and not lone.killed and lone.proc is not None:
            if lone.proc.returncode == 0:
                wrong = self.model.refusal(lone.out.strip())
                if wrong:
                    problems.append(wrong)
        doctor = self.run_quiet(["doctor", "--check"])
        if doctor.returncode != 0:
            problems.append(f"doctor --check exit {doctor.returncode}: {doctor.stdout[-800:]}")
        if problems:
            for p in procs:
                assert p.proc is not None
                problems.append(
                    f"  `{' '.join(p.argv)}` clock {p.shift / 3600:+.1f} h today {p.today} "
                    f"exit {p.proc.returncode} killed {p.killed}: "
                    f"{p.out.strip()[-300:]!r} {p.err.strip()[-300:]!r}"
                )
        return problems

    def summary(self) -> str:
        f, m = self.figures, self.model
        lines = [
            f"seed {self.seed}: {f.rounds} rounds, {sum(f.commands.values())} commands "
            f"{dict(f.commands)}",
            f"kills: {dict(f.kills)}, of them ended by the signal: {dict(f.landed)}; "
            f"self-SIGKILL at COMMIT: {f.self_kills}",
            f"packages exported and answered in Anki: {f.packages} ({f.anki_answers} answers, "
            f"{f.anki_flags} suspensions or leech tags changed there, {f.anki_checked} Check "
            f"Database); undo refused "
            f"{m.refusals - m.refused_resets} actions and {m.refused_resets} resets an import "
            f"changed; imports said "
            f"{dict(f.import_said)}",
            f"drills (an import changing the top, then undo): {dict(f.drills)}, undo said "
            f"{dict(f.drill_said)}",
            f"undo commits checked: {m.undos}; floor raised {m.floors_raised} times, hit "
            f"{f.undo_said['nothing older to undo']} times; undo said: {dict(f.undo_said)}",
            f"mismatches: {f.problems} in {len(f.failed_rounds)} rounds",
        ]
        if f.failed_rounds:
            lines.append(
                f"replay: python bench/undo_model.py --seed {self.seed} "
                f"--rounds {f.failed_rounds[0] + 1} --keep {self.args.keep} "
                f"--keep-bytes {self.args.keep_bytes} (failed rounds {f.failed_rounds[:20]})"
            )
        return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=int, default=3, help="actions.KEEP in the processes")
    parser.add_argument(
        "--keep-bytes", type=int, default=300, help="resets.KEEP_BYTES in the processes"
    )
    parser.add_argument("--kill", type=float, default=0.25, help="share of processes killed")
    parser.add_argument(
        "--die-p", type=float, default=0.3, help="chance an undo/reset SIGKILLs itself at COMMIT"
    )
    parser.add_argument("--work", type=Path, default=Path("/dev/shm/dlcards-undo-model"))
    parser.add_argument("--stop-on-failure", action="store_true")
    parser.add_argument(
        "--no-imports",
        dest="imports",
        action="store_false",
        help="no `import anki` (without the `anki` package there is none either)",
    )
    args = parser.parse_args(argv)
    h = Harness(args)
    h.setup()
    for n in range(args.rounds):
        problems = h.round(n)
        h.figures.rounds += 1
        if problems:
            h.figures.problems += sum(not p.startswith("  ") for p in problems)
            h.figures.failed_rounds.append(n)
            print(f"round {n} (seed {args.seed}):", flush=True)
            for p in problems:
                print("  " + p, flush=True)
            if args.stop_on_failure:
                break
        if n % 20 == 19:
            print(f"... {n + 1} rounds, stack {len(h.model.stack)}", flush=True)
    print(h.summary(), flush=True)
    return 1 if h.figures.problems else 0


if __name__ == "__main__":
    sys.exit(main())
