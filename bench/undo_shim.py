"""Run `python -m dlcards ARGS` for bench/undo_model.py, with what the model needs:

- UNDO_MODEL_SHIFT (seconds): the clock moved (time.time, time.time_ns, datetime.now,
  the commands' `clock`), so that each process lives at its own moment;
- UNDO_MODEL_EVENTS (a file): every write transaction, just before its COMMIT (under the
  write lock, so in commit order), bumps a token in `meta` (`undo_model_seq`) and appends one
  JSON line with the token and a snapshot of everything undo can take back: the study grades,
  the undoable actions, the cards' reset marks and flags, the reset record's lines. A process
  killed before its COMMIT leaves a line whose token the next commit reuses: the last line of a
  token is the commit that happened;
- UNDO_MODEL_DIE ("before,after") with UNDO_MODEL_DIE_P and UNDO_MODEL_DIE_CMDS: a commit of
  one of those commands SIGKILLs its own process just before or just after COMMIT;
- UNDO_MODEL_PAUSE (seconds) with UNDO_MODEL_PAUSE_AT (n) and UNDO_MODEL_PAUSE_FILE: the n-th
  commit of the process, its snapshot noted, creates that file and sleeps that long before its
  COMMIT, holding the write lock: the harness sends its kill inside that wait, so that a kill
  from outside lands inside the transaction (a command otherwise ends in ~0.2 s, before most
  kill moments);
- UNDO_MODEL_KEEP / UNDO_MODEL_KEEP_BYTES: a small `actions.KEEP` and `resets.KEEP_BYTES`, so
  that pruning raises undo's floor within a short run;
- UNDO_MODEL_WRONG=1: a deliberately wrong `undo`, which takes back the second-newest study grade
  or action (the harness's own test: the model must catch it).

Bench code only: nothing here is part of dlcards.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import random
import runpy
import signal
import sqlite3
import sys
import time as _time
from pathlib import Path
from typing import Any

SHIFT = float(os.environ.get("UNDO_MODEL_SHIFT", "0") or 0)
COMMAND = sys.argv[1] if len(sys.argv) > 1 else ""


def _shift_clock() -> None:
    real_time, real_ns = _time.time, _time.time_ns
    delta = _dt.timedelta(seconds=SHIFT)
    _time.time = lambda: real_time() + SHIFT  # type: ignore[assignment]
    _time.time_ns = lambda: real_ns() + int(SHIFT * 1e9)  # type: ignore[assignment]
    real = _dt.datetime

    class ShiftedDatetime(real):  # type: ignore[valid-type,misc]
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return real.now(tz) + delta

        @classmethod
        def today(cls) -> Any:
            return real.today() + delta

    ShiftedDatetime.__module__ = "datetime"
    ShiftedDatetime.__qualname__ = ShiftedDatetime.__name__ = "datetime"
    _dt.datetime = ShiftedDatetime  # type: ignore[misc]

    from dlcards.commands import common

    common.clock = lambda: ShiftedDatetime.now().astimezone()
    try:
        from dlcards.commands import study

        study.clock = common.clock  # type: ignore[attr-defined]
    except ImportError:
        pass


def snapshot(c: sqlite3.Connection, db: Path) -> dict[str, Any]:
    """What undo can take back, read inside the write transaction about to commit."""
    from dlcards.store import actions, resets

    gone = actions.dropped_resets(c)
    return {
        "grades": [
            list(r)
            for r in c.execute(
                "SELECT r.id, r.card_id, r.grade, r.at FROM reviews r JOIN sessions s "
                "ON s.id = r.session_id WHERE s.kind = 'study' ORDER BY r.id"
            )
        ],
        # the reviews no study gave (an `import anki`'s answers given in Anki)
        "imported": [
            list(r)
            for r in c.execute(
                "SELECT id, card_id, at, anki_id FROM reviews WHERE session_id IS NULL ORDER BY id"
            )
        ],
        "acts": [
            list(r)
            for r in c.execute(
                "SELECT id, kind, cards FROM learner_actions WHERE kind IN "
                "('suspend', 'unsuspend', 'unleech') ORDER BY id"
            )
        ],
        "marks": {
            r[0]: [r[1], r[2]]
            for r in c.execute(
                "SELECT id, reset_at, reset_after FROM cards "
                "WHERE reset_at IS NOT NULL OR reset_after IS NOT NULL"
            )
        },
        "flags": {
            r[0]: [r[1], r[2]]
            for r in c.execute(
                "SELECT id, suspended, leech FROM cards WHERE suspended != 0 OR leech != 0"
            )
        },
        # the record's lines undo may still go back to (a line beyond the record's size is
        # noted dropped in the reset's transaction, and leaves the file after its COMMIT)
        "recs": [[r.made_ns, r.seq] for r in resets.records(db) if (r.made_ns, r.seq) not in gone],
    }


def _note_commits(events: str) -> None:
    from dlcards.store import connection

    original = connection.Connection._commit
    die = [w for w in os.environ.get("UNDO_MODEL_DIE", "").split(",") if w]
    die_cmds = os.environ.get("UNDO_MODEL_DIE_CMDS", "undo").split(",")
    die_p = float(os.environ.get("UNDO_MODEL_DIE_P", "0.3"))
    pause = float(os.environ.get("UNDO_MODEL_PAUSE", "0") or 0)
    pause_at = int(os.environ.get("UNDO_MODEL_PAUSE_AT", "1") or 1)
    pause_file = os.environ.get("UNDO_MODEL_PAUSE_FILE", "")
    commits = [0]

    def _commit(self: Any, announce: bool) -> None:
        c = self.conn
        try:
            if c.in_transaction:
                c.execute(
                    "INSERT INTO meta (key, value) VALUES ('undo_model_seq', '1') "
                    "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
                )
                row = c.execute("SELECT value FROM meta WHERE key = 'undo_model_seq'").fetchone()
                line = {"tok": int(row[0]), "pid": os.getpid(), "argv": sys.argv[1:]}
                line.update(snapshot(c, Path(self.path)))
                fd = os.open(events, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    os.write(fd, (json.dumps(line) + "\n").encode())
                finally:
                    os.close(fd)
        except Exception as err:  # noqa: BLE001 - the harness reports it
            sys.stderr.write(f"UNDO_MODEL HOOK FAILED {err!r}\n")
        commits[0] += 1
        if pause and pause_file and commits[0] == pause_at and c.in_transaction:
            Path(pause_file).touch()  # the harness's signal comes within the pause
            _time.sleep(pause)
        if die and COMMAND in die_cmds and random.random() < die_p:
            where = random.choice(die)
            if where == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            original(self, announce)
            if where == "after":
                os.kill(os.getpid(), signal.SIGKILL)
            return
        original(self, announce)

    connection.Connection._commit = _commit  # type: ignore[method-assign]


def _small_keep() -> None:
    from dlcards.store import actions, resets

    if os.environ.get("UNDO_MODEL_KEEP"):
        actions.KEEP = int(os.environ["UNDO_MODEL_KEEP"])
    if os.environ.get("UNDO_MODEL_KEEP_BYTES"):
        resets.KEEP_BYTES = int(os.environ["UNDO_MODEL_KEEP_BYTES"])


def _wrong_undo() -> None:
    """Make `undo` pick the second-newest study grade and action (a deliberate bug)."""
    from dlcards.store import actions, core

    def second_grade(c: sqlite3.Connection) -> Any:
        row = c.execute(
            "SELECT r.id, r.card_id, r.grade, r.reviewed_at, r.day FROM reviews r "
            "JOIN sessions s ON s.id = r.session_id WHERE s.kind = 'study' "
            "ORDER BY r.id DESC LIMIT 1 OFFSET 1"
        ).fetchone()
        if row is None:
            return None
        return int(row[0]), str(row[1]), int(row[2]), str(row[3]), str(row[4])

    def second_action(c: sqlite3.Connection) -> Any:
        row = c.execute(
            "SELECT id, kind, made_ns, seq, cards FROM learner_actions "
            "WHERE kind IN ('suspend', 'unsuspend', 'unleech') ORDER BY id DESC LIMIT 1 OFFSET 1"
        ).fetchone()
        return None if row is None else actions._action(row)

    core._last_study_grade_in = second_grade  # type: ignore[assignment]
    actions.newest = second_action  # type: ignore[assignment]


if os.environ.get("UNDO_MODEL_EVENTS"):
    _note_commits(os.environ["UNDO_MODEL_EVENTS"])
_small_keep()
if SHIFT:
    _shift_clock()
if os.environ.get("UNDO_MODEL_WRONG") == "1" and COMMAND == "undo":
    _wrong_undo()

sys.argv[0] = "dlcards"
runpy.run_module("dlcards", run_name="__main__", alter_sys=True)
