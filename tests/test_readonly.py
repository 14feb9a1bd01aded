"""A database file that cannot be written, in a folder that can: the commands that only read
it show what it holds and leave the folder as they found it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dlcards.cli import app
from dlcards.store.count import file_alone, reading_uri

READING = [
    ["due"],
    ["due", "--count"],
    ["show", "gd-1"],
    ["search", "momentum"],
    ["stats"],
    ["list"],
    ["list", "--leeches"],
    ["topics"],
    ["export", "text", "-o", "-"],
    ["doctor", "--check"],
]


def _as_another_user(monkeypatch: pytest.MonkeyPatch, *unwritable: Path) -> None:
    """This process may not write the files `unwritable`, as a user who is not root may not
    write a file of mode 0444 (root may: `os.access` is asked, as dlcards asks it). SQLite
    then opens the database as it opens it for such a user: read-only (`mode=ro`), an
    O_RDONLY descriptor that cannot take the write lock a connection closing takes to delete
    the log and its index, whoever runs it."""
    denied = {os.fspath(p) for p in unwritable}
    real = os.access

    def access(path: object, mode: int, **kwargs: object) -> bool:
        if mode & os.W_OK and os.fspath(path) in denied:  # type: ignore[arg-type]
            return False
        return real(path, mode, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", access)


def _beside(db: Path) -> list[str]:
    return sorted(p.name for p in db.parent.iterdir())


@pytest.mark.parametrize("args", READING, ids=" ".join)
def test_a_reading_command_leaves_nothing_beside_a_read_only_file(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    """`due`, `show`, `stats`, `search`, `list` on a database of mode 0444 in a writable
    folder, run as a user (not root), left an empty p.db-wal and a p.db-shm of mode 0444
    beside it: SQLite reads a file in WAL mode through the log's index, which it makes when
    it can, and a connection that may not write cannot delete them. Once the file was made
    writable again, every write was refused for the read-only p.db-shm. The file alone is
    the database (no log with content beside it, and nothing but root can write it): it is
    read alone, and the folder is left as it was."""
    db = isolated / "data" / "dlcards.db"
    assert not Path(f"{db}-wal").exists()
    db.chmod(0o444)
    _as_another_user(monkeypatch, db)
    monkeypatch.setenv("DLCARDS_TODAY", "2026-11-26")
    before = _beside(db)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert _beside(db) == before


def test_a_read_only_file_still_shows_the_grades_in_its_log(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file alone is not read when a log with commits is beside it: the grade in it is
    shown (through an index SQLite makes, which reading the log needs)."""
    db = isolated / "data" / "dlcards.db"
    script = (  # a grade left in the log: the process ends without closing the database
        "import os, sys; from datetime import date; from pathlib import Path; "
        "sys.path.insert(0, sys.argv[2]); import helpers as h; "
        "from dlcards.store import Store; "
        "s = Store.open(Path(sys.argv[1])); h.grade(s, 'gd-1', 4, date(2026, 11, 26)); "
        "os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", script, str(db), str(Path(__file__).parent)], check=True)
    assert Path(f"{db}-wal").stat().st_size > 32
    db.chmod(0o444)
    _as_another_user(monkeypatch, db)
    assert not file_alone(str(db))
    monkeypatch.setenv("DLCARDS_TODAY", "2026-11-26")
    shown = CliRunner().invoke(app, ["show", "gd-1"])
    assert shown.exit_code == 0, shown.output
    assert "not studied yet" not in shown.output, shown.output


def test_which_files_are_read_alone(tmp_path: Path) -> None:
    """The file alone is the database for a reader only where SQLite would otherwise make
    files beside it, the log holds no commit, and nothing but root can write the file."""
    db = tmp_path / "p.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    assert not Path(f"{db}-wal").exists()
    db.chmod(0o644)
    assert not file_alone(str(db))  # its owner may be writing it: SQLite's locks are needed
    db.chmod(0o444)
    assert file_alone(str(db))
    Path(f"{db}-wal").write_bytes(b"")  # an empty log, no index: the file alone still
    assert file_alone(str(db))
    Path(f"{db}-shm").write_bytes(b"")  # both there: SQLite reads through them, makes nothing
    assert not file_alone(str(db))
    Path(f"{db}-shm").unlink()
    Path(f"{db}-wal").write_bytes(b"\0" * 33)  # a frame in the log: the file alone lacks it
    assert not file_alone(str(db))
    Path(f"{db}-wal").unlink()
    rollback = tmp_path / "r.db"
    conn = sqlite3.connect(rollback)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    rollback.chmod(0o444)
    assert not file_alone(str(rollback))  # a rollback journal's file is read with nothing made
    if os.geteuid() == 0:  # root may write anything: the URI is mode=rw
        assert reading_uri(str(db)).endswith("?mode=rw")
    else:
        assert reading_uri(str(db)).endswith("?mode=ro&immutable=1")


def _python_for(uid: int, gid: int) -> list[str] | None:
    """A command line that runs this Python's dlcards as the user `uid` (this Python, or the
    system's of the same version with this one's packages on its path), or None."""
    import shutil

    setpriv = shutil.which("setpriv")
    if setpriv is None or os.geteuid() != 0:
        return None
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    paths = os.pathsep.join(
        [str(Path(__file__).resolve().parent.parent), sysconfig.get_paths()["purelib"]]
    )
    for python in (sys.executable, f"/usr/bin/{version}"):
        command = [setpriv, f"--reuid={uid}", f"--regid={gid}", "--clear-groups", python]
        try:
            probe = subprocess.run(
                [*command, "-c", "import dlcards.cli"],
                env={"PATH": "/usr/bin:/bin", "PYTHONPATH": paths},
                capture_output=True,
                timeout=60,
                cwd="/",
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return command
    return None


@pytest.mark.skipif(sys.platform != "linux", reason="setpriv")
def test_as_a_user_a_read_only_file_is_read_and_left_alone() -> None:
    """The same, run by a user who is not root (`nobody`), when this machine has one who can
    run this Python: `due`, `stats`, `list`, `topics` and `doctor --check` read a file of
    mode 0444 in the user's own folder, and the folder has nothing more; made writable again,
    the file takes a write (an index of mode 0444 left beside it refused every write)."""
    import pwd
    import shutil
    import tempfile

    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user nobody")
    command = _python_for(nobody.pw_uid, nobody.pw_gid)
    if command is None:
        pytest.skip("no Python the user nobody can run dlcards with")
    folder = Path(tempfile.mkdtemp(dir="/tmp"))  # the test's own folder: one nobody cannot enter
    try:
        os.chown(folder, nobody.pw_uid, nobody.pw_gid)
        _read_as(command, folder)
    finally:
        shutil.rmtree(folder)


def _read_as(command: list[str], folder: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(folder),
        "TMPDIR": str(folder),
        "NO_COLOR": "1",
        "DLCARDS_TODAY": "2026-11-26",
        "DLCARDS_DB": str(folder / "p.db"),
        "DLCARDS_CACHE_DIR": str(folder / "cache"),
        "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).resolve().parent.parent), sysconfig.get_paths()["purelib"]]
        ),
    }

    def dlcards(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*command, "-m", "dlcards", *args],
            env=env, capture_output=True, text=True, timeout=120, cwd="/",
        )  # fmt: skip

    made = dlcards("due")
    assert made.returncode == 0, made.stderr
    db = folder / "p.db"
    db.chmod(0o444)
    before = _beside(db)
    assert "p.db-wal" not in before
    for args in (  # the ones a test as root cannot make open the file read-only: SQLite,
        # asked to open it to write, opens it so as root whatever its mode
        ["due"], ["stats"], ["list"], ["topics"], ["doctor", "--check"],
    ):  # fmt: skip
        done = dlcards(*args)
        assert done.returncode == 0, (args, done.stderr)
        assert _beside(db) == before, args
    db.chmod(0o644)
    wrote = dlcards("suspend", "gd-1")
    assert wrote.returncode == 0, wrote.stderr


@pytest.mark.parametrize("writable", [True, False])
def test_a_path_with_uri_characters_is_read_at_that_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writable: bool
) -> None:
    """`reading_uri` spells the path as a file: URI itself (a shell prompt's count imports no
    pathlib): a folder named with `?`, `#` and `%41` is the folder read, not `we` or `weA`."""
    from datetime import datetime, timezone

    from dlcards.catalog import load_catalog
    from dlcards.store import Store
    from dlcards.store.marks import card_marks

    folder = tmp_path / "we?ird #%41"
    folder.mkdir()
    db = folder / "p.db"
    with Store.open(db) as store:
        store.sync(load_catalog().cards, "uri", datetime(2026, 11, 26, tzinfo=timezone.utc))
        store.suspend_one("gd-1")
    if not writable:
        db.chmod(0o444)
        _as_another_user(monkeypatch, db)
    before = _beside(db)
    assert card_marks(db).suspended == {"gd-1"}
    assert _beside(db) == before
