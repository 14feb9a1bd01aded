"""Torture every writing command against one database, and check what the README promises.

    python bench/torture.py --rounds 300 --work /dev/shm/torture [--seed 1] [--kill 0.35]

Each round starts one to three commands at once, drawn from `study` (piped: `printf '\\n4\\n'`,
one grade), `quiz`, `suspend`, `unsuspend`, `unleech`, `reset`, `undo`, `config scheduler
fsrs|sm2`, `config desired_retention`, `optimize`, `due` after a deck edit (a sync),
`export anki --with-progress` then `import anki` of that package, `backup` and `doctor`; some
are killed (SIGKILL, SIGTERM or SIGHUP) at a random moment of their run (up to the median time
that command took in earlier rounds: most end in ~0.3 s). The study day moves forward every
few rounds so that reviews come due. After every round, with no command running:

- `doctor --check` finds nothing wrong (it compares every card's memory with the replay of its
  log: `dlcards.store.doctor.examine`, the function `doctor` uses), exit 0;
- every grade a study said it saved (`saved: ID: G`) is in the log, unless an undo in the round
  said it took it back (or an undo killed with SIGKILL may have); no review is in the log twice
  (one card, one session, one moment: two studies at once may grade a card in the same ms); rows
  appear only from studies (at most one each) and never from importing a package of the
  collection's own reviews; rows go only by an undo (one each);
- no output holds a traceback; a command that failed on its own (not stopped by us) said one
  line on standard error (a usage error: two); a command stopped by SIGTERM or SIGHUP ended
  with 143 or 129 (or finished first) and said at most one line on standard error;
- no command hangs (120 s).

The figures (rounds, commands, kills, failures by kind) are printed at the end and written
as JSON beside the work folder (`--report`). Failures keep their round's outputs in
`WORK/failures/`.
"""

from __future__ import annotations

import argparse
import collections
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

ROOT = Path(__file__).resolve().parent.parent
SAVED = re.compile(r"^saved: (\S+): (?:re-drill graded )?(\d)\b", re.M)
UNDID = re.compile(r"undid grade (\d) on (\S+) \(given")


@dataclass
class Run:
    name: str
    argv: list[str]
    stdin: str = ""
    proc: subprocess.Popen[str] | None = None
    kill_at: float | None = None
    signum: int | None = None
    killed: bool = False
    started: float = 0.0
    ended: float = 0.0
    out: str = ""
    err: str = ""
    rc: int | None = None
    hung: bool = False


@dataclass
class Figures:
    rounds: int = 0
    commands: int = 0
    kills: collections.Counter[str] = field(default_factory=collections.Counter)
    failures: collections.Counter[str] = field(default_factory=collections.Counter)
    confirmed: int = 0
    by_command: collections.Counter[str] = field(default_factory=collections.Counter)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    unguarded: collections.Counter[str] = field(default_factory=collections.Counter)


def _shape(line: str) -> str:
    """An error line with its numbers and paths taken out, to count its kind."""
    return re.sub(r"/\S+", "PATH", re.sub(r"\d+", "N", line))[:120]


class Torture:
    def __init__(self, work: Path, seed: int, kill: float) -> None:
        self.work = work
        self.rng = random.Random(seed)
        self.kill = kill
        self.db = work / "p.db"
        self.decks = work / "decks"
        self.pkg = work / "pkg.apkg"
        self.day = date(2026, 11, 1)
        self.figures = Figures()
        self.added_cards: list[str] = []
        self.edits = 0
        self.card_ids: list[str] = []
        self.took: dict[str, list[float]] = collections.defaultdict(list)  # name -> seconds

    # -- setup ---------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DLCARDS_DB": str(self.db),
            "DLCARDS_DECKS": str(self.decks),
            "DLCARDS_CACHE_DIR": str(self.work / "cache"),
            "DLCARDS_TODAY": self.day.isoformat(),
            "NO_COLOR": "1",
            "COLUMNS": "100",
        }

    def setup(self) -> None:
        if self.work.exists():
            shutil.rmtree(self.work)
        self.work.mkdir(parents=True)
        shutil.copytree(ROOT / "decks", self.decks)
        ids = []
        for deck in sorted(self.decks.glob("*.yaml")):
            ids += re.findall(r"^- id: (\S+)", deck.read_text(), re.M)
        self.card_ids = ids
        first = self.run_now(Run("study", ["study"], "\n4\n\n3\n\n5\nq\n"))
        assert first.rc == 0, first.err

    # -- commands ------------------------------------------------------------------------
    def pick(self) -> Run:
        r = self.rng
        card = r.choice(self.card_ids[:60])
        choices: list[tuple[int, Run]] = [
            (30, Run("study", ["study"], "\n4\n" if r.random() < 0.8 else "\n2\n")),
            (4, Run("quiz", ["quiz", "-n", "2", "--mode", "self"], "\ny\n\nn\n")),
            (5, Run("suspend", ["suspend", card])),
            (5, Run("unsuspend", ["unsuspend", card])),
            (3, Run("unleech", ["unleech", card])),
            (4, Run("reset", ["reset", card, "--yes"])),
            (8, Run("undo", ["undo"])),
            (6, Run("config", ["config", "scheduler", r.choice(["fsrs", "sm2"])])),
            (2, Run("config", ["config", "desired_retention", r.choice(["0.85", "0.9"])])),
            (2, Run("optimize", ["optimize"])),
            (6, Run("sync", ["due"])),
            (
                4,
                Run(
                    "export", ["export", "anki", "-o", str(self.pkg), "--force", "--with-progress"]
                ),
            ),
            (4, Run("import", ["import", "anki", str(self.pkg)])),
            (3, Run("backup", ["backup"])),
            (4, Run("doctor", ["doctor"])),
        ]
        total = sum(w for w, _ in choices)
        x = r.uniform(0, total)
        for w, run in choices:
            x -= w
            if x <= 0:
                return run
        return choices[0][1]

    def edit_decks(self) -> None:
        """A deck edit for the next sync: a question changed, a card added or taken out."""
        r = self.rng
        self.edits += 1
        how = r.random()
        path = self.decks / "99-torture.yaml"
        if how < 0.4 or not self.added_cards:
            cid = f"tort-{self.edits}"
            self.added_cards.append(cid)
        elif how < 0.6:
            self.added_cards.pop(r.randrange(len(self.added_cards)))
        else:
            deck = r.choice(sorted(self.decks.glob("0*.yaml")))
            text = deck.read_text()
            marks = [m.start() for m in re.finditer(r"^  question: ", text, re.M)]
            if marks:
                at = r.choice(marks)
                end = text.index("\n", at)
                line = text[at:end]
                if line.rstrip().endswith(("'", '"')):
                    return
                line = re.sub(r" \(edit \d+\)$", "", line) + f" (edit {self.edits})"
                self._write(deck, text[:at] + line + text[end:])
            return
        body = "topic: torture\ntitle: Torture cards\ncards:\n" + "".join(
            f"- id: {cid}\n  question: Torture question {cid}?\n  answer: Answer {cid}.\n"
            for cid in self.added_cards
        )
        if not self.added_cards:
            path.unlink(missing_ok=True)
            return
        self._write(path, body)

    @staticmethod
    def _write(path: Path, text: str) -> None:
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text)
        os.replace(tmp, path)

    def start(self, run: Run) -> None:
        run.proc = subprocess.Popen(
            [sys.executable, "-m", "dlcards", *run.argv],
            env=self.env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=self.work,
        )
        run.started = time.monotonic()

    def run_now(self, run: Run) -> Run:
        self.start(run)
        assert run.proc is not None
        run.out, run.err = run.proc.communicate(run.stdin, timeout=120)
        run.rc = run.proc.returncode
        return run

    def wait_all(self, runs: list[Run]) -> None:
        import threading

        def reader(run: Run) -> None:
            assert run.proc is not None
            try:
                run.out, run.err = run.proc.communicate(run.stdin, timeout=120)
            except subprocess.TimeoutExpired:
                run.hung = True
                run.proc.kill()
                run.out, run.err = run.proc.communicate()
            run.rc = run.proc.returncode

        threads = [threading.Thread(target=reader, args=(run,)) for run in runs]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            now = time.monotonic()
            for run in runs:
                assert run.proc is not None
                if (
                    run.kill_at is not None
                    and not run.killed
                    and now - run.started >= run.kill_at
                    and run.proc.poll() is None
                    and run.signum is not None
                ):
                    run.proc.send_signal(run.signum)
                    run.killed = True
                if not run.ended and run.proc.poll() is not None:
                    run.ended = now
            time.sleep(0.005)
        for t in threads:
            t.join()

    # -- checks --------------------------------------------------------------------------
    def log_rows(self) -> dict[int, tuple[str, int]]:
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        try:
            return {
                rid: (cid, grade)
                for rid, cid, grade in conn.execute("SELECT id, card_id, grade FROM reviews")
            }
        finally:
            conn.close()

    def duplicates(self) -> list[tuple[str, str, int]]:
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        try:
            return list(
                conn.execute(
                    # one card, one session, one moment: two sessions may grade one card in
                    # the same millisecond (each took the time at its key, then the lock)
                    "SELECT card_id, reviewed_at, count(*) FROM reviews "
                    "GROUP BY card_id, session_id, reviewed_at HAVING count(*) > 1"
                )
            )
        finally:
            conn.close()

    def check_round(self, runs: list[Run], before: dict[int, tuple[str, int]]) -> list[str]:
        problems: list[str] = []
        for run in runs:
            said = run.out + run.err
            if run.hung:
                problems.append(f"{run.name} hung: {run.argv}")
            if "Traceback" in said:
                problems.append(f"{run.name} traceback: {run.argv}")
            err_lines = [line for line in run.err.splitlines() if line.strip()]
            sigkilled = run.killed and run.signum == signal.SIGKILL
            stopped = run.killed and run.signum in (signal.SIGTERM, signal.SIGHUP)
            if run.rc not in (0, None) and not run.killed and err_lines:
                self.figures.errors[f"{run.name}: {_shape(err_lines[0])}"] += 1
            if run.rc not in (0, None) and not run.killed and run.rc >= 0:
                usage = any(line.startswith("Try '") for line in err_lines)
                if len(err_lines) != (2 if usage else 1) and run.name != "doctor":
                    problems.append(f"{run.name} rc {run.rc} said {len(err_lines)} lines")
                if run.name == "doctor" or run.rc not in (1, 2):
                    problems.append(f"{run.name} exit {run.rc}")
            if stopped and run.rc is not None:
                want = 128 + (run.signum or 0)
                if run.rc not in (0, want, 1, 2, -(run.signum or 0)):
                    problems.append(f"{run.name} stopped by {run.signum}: exit {run.rc}")
                if run.rc == want and len(err_lines) > 1 and run.name not in ("study", "quiz"):
                    problems.append(f"{run.name} stopped: {len(err_lines)} lines on stderr")
                if run.rc == -(run.signum or 0):
                    if said.strip():  # past its start: a block should have taken the signal
                        problems.append(f"{run.name} died of signal {run.signum} (not handled)")
                    else:  # in its start (imports, the sync before its block): as `ls` would
                        self.figures.unguarded[run.name] += 1
            if sigkilled:
                self.figures.kills["SIGKILL"] += 1
            elif stopped:
                self.figures.kills[signal.Signals(run.signum or 0).name] += 1
        after = self.log_rows()
        added = {rid: row for rid, row in after.items() if rid not in before}
        removed = {rid: row for rid, row in before.items() if rid not in after}
        studies = [r for r in runs if r.name == "study"]
        undos = [r for r in runs if r.name == "undo"]
        killed_undos = sum(1 for r in undos if r.killed and r.signum == signal.SIGKILL)
        confirmed = collections.Counter(
            (cid, int(g)) for r in studies for cid, g in SAVED.findall(r.out + r.err)
        )
        self.figures.confirmed += sum(confirmed.values())
        said_undone = collections.Counter(
            (cid, int(g)) for r in undos for g, cid in UNDID.findall(r.out + r.err)
        )
        have = collections.Counter(added.values())
        missing = confirmed - have - said_undone
        if sum(missing.values()) > killed_undos:
            problems.append(f"confirmed grades missing from the log: {dict(missing)}")
        if len(added) > len(studies):
            problems.append(f"{len(added)} rows added by {len(studies)} studies")
        unconfirmed = have - confirmed
        if sum(unconfirmed.values()) > sum(1 for r in studies if r.killed):
            problems.append(f"rows no study confirmed: {dict(unconfirmed)}")
        if len(removed) > len(undos):
            problems.append(f"{len(removed)} rows removed by {len(undos)} undos: {removed}")
        dups = self.duplicates()
        if dups:
            problems.append(f"reviews in the log twice: {dups[:3]}")
        check = self.run_now(Run("doctor --check", ["doctor", "--check"]))
        if check.rc != 0 or "Traceback" in check.out + check.err:
            problems.append(f"doctor --check exit {check.rc}: {check.out[-800:]} {check.err}")
        return problems

    # -- the run -------------------------------------------------------------------------
    def round(self, n: int) -> list[str]:
        r = self.rng
        if n % 6 == 5:
            self.day += timedelta(days=r.choice([1, 1, 2, 3]))
        runs = [self.pick() for _ in range(r.choice([1, 1, 2, 2, 3]))]
        if any(run.name == "sync" for run in runs) or r.random() < 0.05:
            self.edit_decks()
        for run in runs:
            if r.random() < self.kill:
                # a moment within its run, as long as such commands took (most end in ~0.3 s:
                # a moment up to 2.5 s came after most of them had ended)
                took = sorted(self.took[run.name])
                run.kill_at = r.uniform(0.05, 1.0) * took[len(took) // 2] if took else 0.3
                run.signum = r.choice(
                    [signal.SIGKILL, signal.SIGKILL, signal.SIGTERM, signal.SIGHUP]
                )
        before = self.log_rows()
        for run in runs:
            self.start(run)
            time.sleep(r.uniform(0, 0.3))
        self.wait_all(runs)
        for run in runs:
            if not run.killed and run.ended and not run.hung:
                self.took[run.name].append(run.ended - run.started)
        self.figures.commands += len(runs)
        for run in runs:
            self.figures.by_command[run.name] += 1
        problems = self.check_round(runs, before)
        self.figures.rounds += 1
        if problems:
            folder = self.work / "failures" / f"round-{n:05d}"
            folder.mkdir(parents=True, exist_ok=True)
            for i, run in enumerate(runs):
                (folder / f"{i}-{run.name}.txt").write_text(
                    f"argv {run.argv}\nstdin {run.stdin!r}\nkill {run.signum} at "
                    f"{run.kill_at} killed {run.killed}\nrc {run.rc}\n--- out\n{run.out}\n"
                    f"--- err\n{run.err}\n"
                )
            (folder / "problems.txt").write_text("\n".join(problems) + "\n")
            for p in problems:
                kind = p.split(":")[0][:60]
                self.figures.failures[kind] += 1
        return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kill", type=float, default=0.35, help="share of commands killed")
    parser.add_argument("--work", type=Path, default=Path("/dev/shm/dlcards-torture"))
    parser.add_argument("--report", type=Path, default=None)
    parser.add_argument("--stop-on-failure", action="store_true")
    args = parser.parse_args()
    t = Torture(args.work, args.seed, args.kill)
    t.setup()
    for n in range(args.rounds):
        problems = t.round(n)
        for p in problems:
            print(f"round {n}: {p}", flush=True)
        if problems and args.stop_on_failure:
            break
        if n % 20 == 19:
            print(
                f"... {n + 1} rounds, {t.figures.commands} commands, "
                f"kills {dict(t.figures.kills)}, failures {sum(t.figures.failures.values())}",
                flush=True,
            )
    f = t.figures
    report = {
        "rounds": f.rounds,
        "commands": f.commands,
        "kills": dict(f.kills),
        "confirmed_grades": f.confirmed,
        "by_command": dict(f.by_command),
        "failures": dict(f.failures),
        "errors said": dict(f.errors),
        "died of the signal before saying anything": dict(f.unguarded),
        "seed": args.seed,
    }
    print(json.dumps(report, indent=1))
    out = args.report or args.work.with_suffix(".json")
    out.write_text(json.dumps(report, indent=1) + "\n")
    sys.exit(1 if f.failures else 0)


if __name__ == "__main__":
    main()
