"""`dlcards doctor`: check the progress database, say what is wrong, repair what can be repaired;
`dlcards doctor --restore BACKUP` puts a backup back. `dlcards backup`: make one now, list them.

The work is in `dlcards.store.doctor` and `dlcards.store.backup`; this module parses and prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dlcards.commands.common import clock, db_path, said_interrupted_restore
from dlcards.commands.options import DbOption
from dlcards.stdio import wrapped

if TYPE_CHECKING:
    from dlcards.memory import Memory
    from dlcards.scheduling import Schedule
    from dlcards.store.doctor import Replay, Report
    from dlcards.store.rows import LogEntry

CHECKS = {
    "file": "the file is a whole SQLite database",
    "integrity": "SQLite's integrity check (every page and index)",
    "tables": "every table is there",
    "foreign keys": "every row points to an existing card and session",
    "log": "every review in the log can be replayed",
    "values": "every stored value is valid",
    "memories": "every card's memory equals the replay of its log",
    "search": "the search index holds every card's text, whole",
    "settings": "the stored settings",
    "schema": "the schema version",
    "open": "SQLite opens it",
    "database": "SQLite reads it",
}


class _Replay:
    """The replay the settings ask for; with SM-2 the only kept scheduler, every card's at
    once on arrays (`sm2.review_many`, exactly `review`'s results): at 100,000 cards and a
    million reviews, 9 s card by card."""

    def __init__(self, schedule: Schedule) -> None:
        self.schedule = schedule

    def __call__(self, history: Sequence[LogEntry], stored: Memory) -> Memory:
        return self.schedule.replay(history, stored)

    def many(
        self, logs: Mapping[str, Sequence[LogEntry]], stored: Mapping[str, Memory]
    ) -> dict[str, Memory] | None:
        if any(s.name != "sm2" for s in self.schedule.kept) or not logs:
            return None
        if sum(map(len, logs.values())) < ARRAYS_FROM:
            return None  # card by card: sooner than NumPy is imported
        import numpy as np

        from dlcards.memory import Memory, Sm2State
        from dlcards.sm2 import NO_DAY, review_many

        ids = list(logs)
        lengths = np.fromiter((len(logs[c]) for c in ids), np.int64, len(ids))
        starts = np.concatenate(([0], np.cumsum(lengths)))
        days = np.fromiter((e.day.toordinal() for c in ids for e in logs[c]), np.int64)
        grades = np.fromiter((e.grade for c in ids for e in logs[c]), np.int64)
        if len(grades) and (grades.min() < 0 or grades.max() > 5):
            return None
        final = review_many(starts, days, grades, np.ones(len(days), bool))["final"]
        columns = [final[k].tolist() for k in ("ef", "repetitions", "interval", "lapses")]
        due, last = final["due"].tolist(), final["last_review"].tolist()
        when = {n: date.fromordinal(n) for n in {*due, *last} if n != NO_DAY}
        return {
            cid: Memory(
                sm2=Sm2State(ef, reps, interval, when.get(due[i]), lapses, when.get(last[i])),
                fsrs=stored[cid].fsrs,  # FSRS is not kept: its part stays as stored
            )
            for i, (cid, ef, reps, interval, lapses) in enumerate(zip(ids, *columns, strict=True))
        }


ARRAYS_FROM = 10_000
"""Reviews from which the replay runs on arrays. Card by card a review takes ~6 us here, and
importing NumPy ~60 ms (and starts its threads): `doctor` on the built-in decks with a few
hundred reviews took 0.27 CPU s with arrays, 0.12 without."""


def _replay_for(stored: Mapping[str, str]) -> Replay:
    from dlcards.scheduling import Schedule
    from dlcards.settings import Settings

    return _Replay(Schedule.from_settings(Settings.from_stored(stored)))


def _print(report: Report, repair: bool) -> None:
    _say(f"dlcards doctor: {report.path}")
    for f in report.findings:
        what = CHECKS.get(f.check, f.check)
        if f.problem is None:
            label, text = "ok", what
        elif f.repaired:
            label, text = "repaired", f"{f.check}: {f.problem}; {f.repaired}"
        else:
            label = "FAILED" if f.fatal or repair else "problem"
            text = f"{f.check}: {f.problem}"
        _say(text, f"  {label:<9} ", LABELLED)


LABELLED = 12
"""Where a finding's words start, after its label (`  repaired  `)."""


def _say(text: str | list[str], lead: str = "", indent: int = 0) -> None:
    """`text` (or its words: a size such as `130.1 KB` is one) after `lead`: in a terminal
    in lines of its width broken between words, the lines after the first `indent` spaces
    in (a terminal folded `  ok        SQLite's integrity check (every page and index)`
    inside its words at 30 columns); in a pipe one line, as ever."""
    from dlcards.console import out
    from dlcards.errors import CONTROL_ESCAPES

    # a path's newline or ESC (`no backups of x<newline>y.db`): shown as escapes, never obeyed
    words = [
        w.translate(CONTROL_ESCAPES) for w in (text.split(" ") if isinstance(text, str) else text)
    ]
    console = out()
    if not console.is_terminal:
        typer.echo(lead + " ".join(words))
        return
    for line in wrapped(words, console.width, indent, lead):
        typer.echo(line)


def doctor(
    restore: str | None = typer.Option(
        None,
        "--restore",
        help="Replace the database with this backup (a path, or a name from `dlcards backup`); "
        "the database it replaces is backed up first.",
        metavar="BACKUP",
    ),
    check: bool = typer.Option(
        False, "--check", help="Only check and report; repair nothing (exit 1 if a problem)."
    ),
    db: str | None = DbOption,
) -> None:
    """Check the database (integrity, foreign keys, every card against its review log), say
    what is wrong and repair what can be repaired (the database is backed up first)."""
    from dlcards.errors import nonempty, one_line
    from dlcards.store import default_db
    from dlcards.store.doctor import examine, find_backup

    path = db_path(db) or default_db()
    said_interrupted_restore(path)
    if restore is not None:
        from dlcards.terminal import stops_as_ctrl_c

        source = find_backup(path, nonempty(restore, "--restore", "a backup's path or name"))
        # `kill` or a closed terminal ends a restore as Ctrl-C does, never half done
        with stops_as_ctrl_c():
            _restore(path, source)
            report = examine(path, _replay_for, repair=False, now=clock())
            if _only_old(report):  # a backup of an older dlcards: upgraded now, checked whole
                _upgrade(path)
                report = examine(path, _replay_for, repair=False, now=clock())
        _print(report, repair=False)
        raise typer.Exit(0 if report.healthy else 1)
    from dlcards.store.doctor import Report
    from dlcards.terminal import stops_as_ctrl_c

    # `kill`: a repair under way rolled back, the database closed, and one line saying
    # whether a repair had begun (it ended with exit 143 and not a word); `--check` repairs
    # nothing and ends as a killed `ls` does
    report = Report(path)
    with stops_as_ctrl_c(unsaved=None if check else lambda: _stopped_doctor(report)):
        report = examine(path, _replay_for, repair=not check, now=clock(), report=report)
        if not check and _only_old(report):  # sound, of an older dlcards: the repair upgrades
            _upgrade(path)
            report = examine(path, _replay_for, repair=True, now=clock(), report=Report(path))
    _print(report, repair=not check)
    if report.healthy:
        repaired = any(f.repaired for f in report.findings)
        if report.taken_out:
            from dlcards.console import plural

            rows = plural(report.taken_out, "log row")
            _say(
                f"Repaired; {rows} no replay could read taken out (the backup made first keeps "
                "them), nothing else lost."
            )
        else:
            typer.echo("Repaired; nothing was lost." if repaired else "No problems found.")
        return
    if report.salvage:
        _say(one_line(report.salvage))
    if check and not any(f.fatal for f in report.findings):
        _say("Run `dlcards doctor` (without --check) to repair.")
    elif report.summary:
        said = "Doctor cannot repair this" if check else "Not repaired"
        _say(f"{said}: {one_line(report.summary)}")
    raise typer.Exit(1)


def _only_old(report: Report) -> bool:
    """Whether what `report` found wrong is only the file's schema, older than this dlcards's
    (`store.doctor`: the checks after it know the current schema only). `doctor --restore` of
    a backup an older dlcards made, and `doctor` of such a file, said "schema 34: the next
    command upgrades it" and ended with exit 1, the restore made and the file sound: they
    upgrade it (as the next command would, after its backup) and check all of it."""
    wrong = [f for f in report.findings if f.problem is not None and not f.repaired]
    return len(wrong) == 1 and wrong[0].check == "schema" and not wrong[0].fatal


def _upgrade(path: Path) -> None:
    """The database at `path` upgraded to this dlcards's schema (`Store.open` migrates it,
    backed up first)."""
    from dlcards.store import Store

    with Store.open(path):
        pass


def _stopped_doctor(report: Report) -> str:
    """The line of a `dlcards doctor` stopped before its end."""
    if not report.repairing:
        return "stopped: nothing was repaired (the check did not finish)"
    return (
        "stopped while repairing: each repair is made whole or not at all, after a backup; "
        "run `dlcards doctor` again to finish"
    )


def _restore(path: Path, source: Path) -> None:
    """Put the backup `source` back at `path` and say so. A stop (Ctrl-C, a `kill`, a closed
    terminal) before the copy of the backup over the database has begun ends it with
    nothing changed; one during the copy takes the copy back whole; one once the copy is
    committed waits for the restore's end (its salvaged files put aside, its lines said).
    Each says in one line which database is there. A `kill` ended the restore at once, not
    a word said, the database restored or not (a torture run: restored, said nothing)."""
    from dlcards.console import escaped
    from dlcards.errors import one_line
    from dlcards.interrupts import GivenUp
    from dlcards.stdio import say
    from dlcards.store.doctor import restore as restore_backup
    from dlcards.terminal import stops_held_from_commit, stops_once_saved

    as_it_was = f"stopped: nothing was restored, {path} is as it was"

    def tell(said: str, salvaged: str) -> None:
        _say(one_line(said))
        if salvaged:
            _say(one_line(salvaged))

    try:
        with stops_held_from_commit() as stopped:
            try:
                restore_backup(path, source, clock(), _replay_for, tell)
            except GivenUp:
                say(escaped(f"{as_it_was} (the copy of {source} over it was taken back)"))
                raise stopped() or KeyboardInterrupt() from None
    except KeyboardInterrupt:  # before the copy began (a stop during it is GivenUp's)
        if not stopped():
            say(escaped(as_it_was))
        raise
    # restored: a stop from now on (the report's check) says so, and so does one held
    stops_once_saved(escaped(f"stopped: {path} is restored from {source}, as said above"))
    stop = stopped()
    if stop is not None:
        raise stop


def backup(
    db: str | None = DbOption,
    list_only: bool = typer.Option(False, "--list", help="Only list the backups."),
) -> None:
    """Back the database up now (verified, into backups/ beside it) and list the backups.

    Backups are also made automatically: before the first write of each day and before a
    schema upgrade, a repair, a restore or a big reset (of more than 1,000 studied cards, or
    of half the studied cards or more; `dlcards undo` takes back any reset). Kept: the newest
    of each of the last 7 days, 4 weeks and 12 months, the last 3 made before an event and
    the last 3 made by `dlcards backup`.
    """
    from dlcards.commands.common import opened_store
    from dlcards.store import backup as backups
    from dlcards.store import default_db

    path = db_path(db) or default_db()
    if not list_only:
        from dlcards.console import escaped
        from dlcards.terminal import saved_once_committed, stops_as_ctrl_c

        # `kill` or a closed terminal ends it as Ctrl-C does: its temporary copies (each as
        # big as the database) removed, where they stayed until the next backup; one line
        # says whether the backup was made (it ended with exit 143 and not a word)
        with stops_as_ctrl_c(unsaved="stopped: no backup was made"), opened_store(db) as store:
            made = saved_once_committed(
                lambda: store.backup_now(clock().date()),
                lambda made: escaped(f"stopped: backed up {path} to {made.path} (verified)"),
            )
        _say(
            ["backed", "up", str(path), "to", str(made.path), f"({_size(made.size)};", "verified)"]
        )
    found = backups.backups(path)
    if not found:
        _say(f"no backups of {path} yet (they go in {backups.folder_of(path)})")
        return
    total = sum(b.size for b in found)
    n = len(found)
    from dlcards.console import counted

    header = [counted(n), f"backup{'' if n == 1 else 's'}", "of", str(path), "in"]
    header += [f"{backups.folder_of(path)},", f"{_size(total)}:"]  # a size is one word
    from dlcards.errors import CONTROL_ESCAPES

    header = [word.translate(CONTROL_ESCAPES) for word in header]  # a path's newline, ESC
    today = clock().date()
    rows = [
        (
            f"  {b.day.isoformat()}  {b.kind:<6} {_size(b.size):>9}",
            b.path.name.translate(CONTROL_ESCAPES),
            "(dated after today: made while the clock was set ahead)" if b.day > today else "",
        )
        for b in found
    ]
    from dlcards.console import out

    console = out()
    if not console.is_terminal:  # a pipe: a line a backup, as ever
        typer.echo(" ".join(header))
        for row, name, ahead in rows:
            typer.echo(f"{row}  {name}{'  ' + ahead if ahead else ''}")
        return
    # a terminal folded a line wider than itself inside the file name (the name that
    # `doctor --restore` takes): each line fits, the name under its row when it does not
    width = console.width
    for line in wrapped(header, width, 0):
        typer.echo(line)
    for row, name, ahead in rows:
        if len(row) + 2 + len(name) <= width:
            typer.echo(f"{row}  {name}")
        else:
            typer.echo(row.rstrip())
            typer.echo(" " * max(0, min(4, width - len(name))) + name)  # indented if it fits
        for line in wrapped(ahead.split(" "), width, 4) if ahead else []:
            typer.echo(line)


def _size(n: int) -> str:
    if n < 1024:
        return f"{n:,} bytes"
    size = float(n)
    for unit in ("KB", "MB", "GB"):
        size /= 1024
        if size < 1024 or unit == "GB":
            break
    return f"{size:,.1f} {unit}"
