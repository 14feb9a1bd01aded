"""Reading what Anki writes: `.apkg` and `.colpkg` packages and bare `collection.anki2` files.

A package is a zip. Its `meta` entry (a tiny protobuf, `PackageMetadata { Version version = 1 }`)
says which collection inside is the real one: 1 `collection.anki2`, 2 `collection.anki21`
(legacy formats, plain SQLite; the media map is JSON `{"0": "name.png"}`), 3
`collection.anki21b` (current: SQLite compressed with zstd, next to a dummy `collection.anki2`
that only asks to update Anki; the media map is a zstd-compressed protobuf `MediaEntries
{ repeated MediaEntry { string name = 1; uint32 size = 2; bytes sha1 = 3 } entries = 1 }` whose
n-th entry is the zip entry "n", itself zstd-compressed). A package without `meta` is legacy.

zstd comes from `zstandard` (the maintained binding to the reference C library). The two
protobuf messages are decoded by hand (`proto_fields`, 30 lines of the wire format): a protobuf
runtime and Anki's generated classes would be a heavy dependency for reading two integers and
a list of names.

Collections of schema 11 (notetypes and decks as JSON in `col`) to 18 (their own tables, with
protobuf configs) are read. Nothing the user owns is ever written: a package is unpacked into a
temporary directory; a bare collection is first checked for Anki's lock (a running Anki holds
its collection with an exclusive lock: refused with a clear message), then copied, and only the
copy is opened.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import sqlite3
import sys
import zipfile
import zlib
from collections.abc import Container, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

from dlcards.errors import DlcardsError

SCHEMA_MIN, SCHEMA_MAX = 11, 18  # Anki's collection schema versions this reader knows
PACKAGE_LEGACY_1, PACKAGE_LEGACY_2, PACKAGE_LATEST = 1, 2, 3
SCHED_V1, SCHED_V2 = 1, 2  # Anki's `schedVer`: its old V1 scheduler, V2 (and v3)
COLLECTIONS = {
    PACKAGE_LATEST: "collection.anki21b",
    PACKAGE_LEGACY_2: "collection.anki21",
    PACKAGE_LEGACY_1: "collection.anki2",
}
SQLITE_MAGIC = b"SQLite format 3\x00"
ZIP_MAGIC = b"PK\x03\x04"
MAX_COLLECTION = 4 << 30  # bytes a decompressed collection may take
MAX_MEDIA_LIST = 32 << 20  # bytes a decompressed media list may take (100,000 files: ~5 MB)
# A revlog id is its answer's time in ms; the times a local date exists for (Python's dates
# hold the years 1 to 9999; two days' margin for the time zone and the day's start). Anki's
# "Check Database" makes an id later than tomorrow the present moment.
EARLIEST_ANSWER_MS = -62_135_596_800_000 + 2 * 86_400_000  # 0001-01-03 00:00 UTC
LATEST_ANSWER_MS = 253_402_128_000_000  # 9999-12-30 00:00 UTC
FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
"""The errors of a full disk (or quota, or file size limit)."""
AHEAD_MS = 86_400_000
"""How far past the present a card's time of change in Anki may be (`anki_progress.
changed_ahead`): Anki's Tools > Check Database makes a time more than a day ahead (a device
whose clock was ahead) the present. (Answers are held to today's study day:
`refuse_answers_ahead`.)"""


class AnkiFileError(DlcardsError):
    """An Anki file that cannot be read; the message says which and what to do."""


@dataclass(frozen=True)
class Template:
    name: str
    front: str  # Anki's question format, e.g. "{{Front}}"
    back: str


@dataclass(frozen=True)
class NoteType:
    id: int
    name: str
    cloze: bool
    fields: tuple[str, ...]
    templates: tuple[Template, ...]


@dataclass(frozen=True)
class Note:
    id: int
    guid: str
    notetype: int
    tags: tuple[str, ...]
    fields: tuple[str, ...]  # HTML, in the note type's field order
    mod: int = 0  # when the note last changed in Anki (s): an edit of its text or its tags


@dataclass(frozen=True)
class Card:
    id: int
    note: int
    deck: int  # the home deck (a card in a filtered deck counts in its original deck)
    ord: int  # template number, or cloze number - 1
    studied: bool = False  # not new (Anki's type: learning, review or relearning)
    suspended: bool = False  # suspended in Anki (queue -1)
    mod: int = 0  # when the card last changed in Anki (s): a review, a suspension, ...
    buried: bool = False  # buried in Anki (queue -2, -3): for a day, neither side's to keep


class Revlog(NamedTuple):
    """One row of Anki's review log. `id` is the answer's time in ms since the epoch. A named
    tuple, made from the query's rows as they come (`_make`): a collection's log may hold
    hundreds of thousands of answers (300,000: 1.10 s as a frozen dataclass of int()s, 0.70
    s so)."""

    id: int
    card: int
    ease: int  # 1 Again, 2 Hard, 3 Good, 4 Easy; 0 for rows that are no answer
    kind: int  # 0 learning, 1 review, 2 relearning, 3 filtered, 4 manual, 5 rescheduled
    ms: int  # time taken
    factor: int = 2500  # the ease after it, in permille; 0 in a preview's answer and a reset


@dataclass
class Collection:
    """What dlcards reads from an Anki collection, as plain values."""

    source: Path
    schema: int
    notetypes: dict[int, NoteType]
    decks: dict[int, str]  # id -> "Parent::Child"
    notes: list[Note]
    cards: list[Card]
    revlog: list[Revlog]
    media: dict[str, Path] = field(default_factory=dict)  # file name -> unpacked copy
    # the scheduler its settings name (`scheduler_version`): 1 is Anki's old V1, whose log
    # `revlog` holds as V2's; None when they cannot be read
    scheduler: int | None = 2
    # its answers to cards in learning could be V1's or V2's, and the file does not say which
    # (its settings unreadable, or a new collection's in a package an Anki before 2.1.50
    # wrote): read as V2's, as Anki reads them
    scheduler_unsure: bool = False
    # what the import works out of the notes more than once (`anki_progress.dlcards_notes`,
    # the GUIDs of the cards known here): the notes are read once and not changed after
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)


# --- the protobuf wire format -------------------------------------------------------------------


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def proto_fields(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) of each field of a protobuf message, in order: varints as int,
    length-delimited fields as bytes; fixed-width fields are skipped."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            yield number, value
        elif wire == 2:
            size, pos = _varint(data, pos)
            if pos + size > len(data):
                raise ValueError("truncated field")
            yield number, data[pos : pos + size]
            pos += size
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")


def _proto_int(data: bytes, number: int, default: int = 0) -> int:
    found = [v for n, v in proto_fields(data) if n == number and isinstance(v, int)]
    return found[-1] if found else default


def _proto_str(data: bytes, number: int) -> str:
    found = [v for n, v in proto_fields(data) if n == number and isinstance(v, bytes)]
    return found[-1].decode("utf-8") if found else ""


def media_names(data: bytes, most: int | None = None) -> dict[str, str]:
    """The current media map (decompressed): zip entry name -> media file name. The n-th entry
    is the zip entry "n", unless it names another (`legacy_zip_filename`, field 255). With
    `most`, the first `most` entries only (a package holds no more files than zip entries)."""
    out: dict[str, str] = {}
    entries = (v for n, v in proto_fields(data) if n == 1 and isinstance(v, bytes))
    for index, entry in enumerate(entries):
        if most is not None and index >= most:
            break
        name = zip_name = ""
        for n, v in proto_fields(entry):
            if n == 1 and isinstance(v, bytes):
                name = v.decode("utf-8")
            elif n == 255 and isinstance(v, int):
                zip_name = str(v)
        out[zip_name or str(index)] = name
    return out


# --- opening ------------------------------------------------------------------------------------


def read(path: Path, workdir: Path, with_media: bool = False) -> Collection:
    """The collection in `path` (a package or a bare collection), unpacked under `workdir` (a
    folder of its own in the temporary folder: a full disk there is said so). Only a regular
    file (or a link to one): a FIFO with no writer would be waited on for ever,
    and a pipe (`<(cat x.apkg)`, /dev/stdin) cannot be read as a zip, which seeks. The
    caller refuses answers dated ahead in what it imports (`refuse_answers_ahead`)."""
    try:
        collection = _read(path, workdir, with_media)
    except OSError as err:
        if err.errno not in FULL:
            raise
        # the unpacking, not the file: the error named standard output, or `path`
        raise AnkiFileError(
            f"cannot unpack {path} into the temporary folder {workdir.parent}: "
            f"{err.strerror or err}; free some space there, or set TMPDIR to a folder with "
            "room (nothing was imported)"
        ) from None
    return collection


def refuse_answers_ahead(
    collection: Collection,
    starts_at: int,
    now: datetime | None = None,
    cards: Container[int] | None = None,
) -> None:
    """Refuse a review log with answers dated in a study day after today's (by `starts_at`,
    the collection's `day_starts_at`, and this machine's clock `now`), made on a device whose
    clock was ahead. An answer's time is Anki's id, milliseconds since the epoch: no time zone
    puts it ahead of the present, only a wrong clock. Imported, such an answer made its card's
    last review a day to come and every grade given here before that day a re-drill (a card
    answered with the clock a year ahead stopped moving for a year); one of tomorrow moved
    the study day itself a day on (the study day never goes back behind the log), and the
    grades given here that day were logged as the next day's. Anki's Tools > Check Database
    makes such times the present; the message says so. `cards`: the Anki cards whose answers
    are imported (None: every card); another deck's answer is none of dlcards's."""
    import bisect
    from datetime import timedelta

    from dlcards.console import plural
    from dlcards.days import local_study_day, study_day_start

    moment = (now or datetime.now()).astimezone()
    tomorrow = study_day_start(local_study_day(starts_at, moment) + timedelta(days=1), starts_at)
    # in time order
    ids = [r.id for r in collection.revlog if cards is None or r.card in cards]
    ahead = len(ids) - bisect.bisect_left(ids, int(tomorrow.timestamp() * 1000))
    if ahead:
        first = datetime.fromtimestamp(ids[-ahead] // 1000).astimezone()
        raise AnkiFileError(
            f"{collection.source}: its review log has {plural(ahead, 'answer')} dated after "
            f"today's study day (the first {first:%Y-%m-%d %H:%M}): the clock of the device "
            f"that made {'it' if ahead == 1 else 'them'} was ahead (or this computer's is "
            "behind); in Anki, Tools > Check Database sets such times to the present: export "
            "again after it (nothing was imported)"
        )


def _read(path: Path, workdir: Path, with_media: bool) -> Collection:
    from dlcards.catalog import not_a_file

    what = not_a_file(path)
    if what == "missing":
        raise AnkiFileError(f"{path}: no such file")
    if what == "a directory":
        raise AnkiFileError(f"{path} is a directory; give the .apkg, .colpkg or .anki2 file")
    if what is not None:
        raise AnkiFileError(
            f"{path} is {what}, not a file; save the package to a file and import that"
        )
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except FileNotFoundError:
        raise AnkiFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise AnkiFileError(
            f"{path} is a directory; give the .apkg, .colpkg or .anki2 file"
        ) from None
    except OSError as err:
        raise AnkiFileError(f"cannot read {path}: {err.strerror}") from None
    if head.startswith(ZIP_MAGIC):
        return _read_package(path, workdir, with_media)
    if head == SQLITE_MAGIC:
        _refuse_if_locked(path)
        copy = workdir / "collection.sqlite"
        shutil.copyfile(path, copy)
        wal = path.with_name(path.name + "-wal")
        if wal.exists():
            shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
        collection = _read_sqlite(copy, path)
        if with_media:
            media_dir = path.with_name(path.stem + ".media")
            if media_dir.is_dir():
                collection.media = {p.name: p for p in media_dir.iterdir() if p.is_file()}
        return collection
    raise AnkiFileError(
        f"{path} is not an Anki file: export one from Anki (File > Export: .apkg or .colpkg) "
        "or give a collection.anki2"
    )


def _refuse_if_locked(path: Path) -> None:
    """A running Anki holds its collection with an exclusive lock; even reading waits for it.
    The lock is tested on the file's own bytes, without SQLite: opening the collection, even
    read-only, would create `-wal` and `-shm` files beside it (its header says WAL mode), and the
    user's Anki folder is never written. An error reading is for the copy to show."""
    try:
        with path.open("rb") as fh:
            locked = _sqlite_locked(fh.fileno())
    except OSError:
        return
    if locked:
        raise AnkiFileError(
            f"{path} is open in Anki (the collection is locked); close Anki, or export "
            "from it with File > Export, and try again (the file was not touched)"
        )


# SQLite's lock bytes (its os_unix.c and os_win.c): a reader takes a shared lock on the pending
# byte, then on the shared range; a writer's pending or exclusive lock holds them against it.
SQLITE_PENDING_BYTE = 0x40000000
SQLITE_SHARED_FIRST, SQLITE_SHARED_SIZE = SQLITE_PENDING_BYTE + 2, 510


def _sqlite_locked(fd: int) -> bool:
    """Whether another process holds the SQLite database open on `fd` so that no reader may
    start (what a running Anki does: exclusive locking mode). Asked as SQLite's own reader
    would, without waiting, and let go at once."""
    if sys.platform == "win32":  # pragma: no cover - Windows: LockFile's locks
        import msvcrt

        os.lseek(fd, SQLITE_PENDING_BYTE, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return True
        os.lseek(fd, SQLITE_PENDING_BYTE, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return False
    import fcntl

    # POSIX record locks, SQLite's on Unix; the fd is this process's only one on the file, so
    # closing it drops nothing else
    for start, size in ((SQLITE_PENDING_BYTE, 1), (SQLITE_SHARED_FIRST, SQLITE_SHARED_SIZE)):
        try:
            fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB, size, start, os.SEEK_SET)
        except OSError as err:
            if err.errno in (errno.EACCES, errno.EAGAIN):
                return True
            raise
        fcntl.lockf(fd, fcntl.LOCK_UN, size, start, os.SEEK_SET)
    return False


def _read_package(path: Path, workdir: Path, with_media: bool) -> Collection:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            version = PACKAGE_LEGACY_1
            if "meta" in names:
                try:
                    version = _proto_int(archive.read("meta"), 1, PACKAGE_LEGACY_1)
                except ValueError as err:  # not the protobuf message Anki writes
                    raise AnkiFileError(
                        f"{path}: its meta entry is damaged ({err}); export it again"
                    ) from None
                if version > PACKAGE_LATEST:
                    raise AnkiFileError(
                        f"{path} was written by a newer Anki (package version {version}; dlcards "
                        f"reads up to {PACKAGE_LATEST}); update dlcards, or export from Anki with "
                        '"Support older Anki versions" ticked'
                    )
            # the collection the meta names; without meta (Anki before 2.1.50), the newer
            # legacy one (a collection.anki21 comes with a dummy collection.anki2)
            wanted = [COLLECTIONS[version]] if "meta" in names else list(COLLECTIONS.values())[1:]
            inner = next((name for name in wanted if name in names), None)
            present = [name for name in COLLECTIONS.values() if name in names]
            if inner is None and present:  # e.g. a collection.anki21b with no meta to read it
                raise AnkiFileError(
                    f"{path} has a {present[0]} that its meta entry does not name "
                    f"({'no meta' if 'meta' not in names else f'meta says version {version}'}): "
                    "the package is damaged; export it again from Anki"
                )
            if inner is None:
                raise AnkiFileError(
                    f"{path} is a zip file without an Anki collection inside (no "
                    f"{', '.join(COLLECTIONS.values())}); export it again from Anki"
                )
            copy = workdir / "collection.sqlite"
            with archive.open(inner) as src, copy.open("wb") as dst:
                if inner.endswith("21b"):
                    _unzstd(src, dst, path, magic=SQLITE_MAGIC)
                else:
                    _copy_limited(src, dst, path, magic=SQLITE_MAGIC, what="its collection")
            collection = _read_sqlite(copy, path)
            # Anki before 2.1.50 wrote the log of a V2 collection as collection.anki21; a
            # collection.anki2 alone held V1's, with the settings of the new collection the
            # export made (V2's from Anki 2.1.16, December 2019, on), not the studied one's
            settings_unsure = "meta" not in names and inner == COLLECTIONS[PACKAGE_LEGACY_1]
            if collection.scheduler == SCHED_V2 and settings_unsure:
                collection.scheduler_unsure = learning_answers_unsure(collection.revlog)
            if with_media and "media" in names:
                collection.media = _unpack_media(archive, version, workdir / "media", path)
            return collection
    except (zipfile.BadZipFile, zlib.error, EOFError) as err:
        # a bad CRC or header, a deflated entry whose data is damaged, or cut short
        raise AnkiFileError(f"{path} is a damaged zip file ({err}); export it again") from None
    except NotImplementedError as err:  # a compression method Anki does not write
        raise AnkiFileError(f"{path}: {err}; export it again from Anki") from None
    except RuntimeError as err:
        if "encrypted" not in str(err):
            raise
        raise AnkiFileError(f"{path}: {err}; Anki's packages are not encrypted") from None


def _copy_limited(
    src: Any,
    dst: Any,
    path: Path,
    limit: int | None = None,
    magic: bytes = b"",
    what: str = "an entry",
) -> None:
    """Copy an entry of the package from `src` (a stream) into `dst`, in chunks, refusing
    more than `limit` bytes (a package of a few MB can unpack to gigabytes: a damaged or
    hostile file must not fill the disk) and, with `magic`, an entry that does not begin
    with it (the collection: an SQLite file, checked on the first chunk). `limit`:
    MAX_COLLECTION when None; `what` the entry is, for the message."""
    limit = MAX_COLLECTION if limit is None else limit
    written = 0
    while chunk := src.read(1 << 20):
        if not written and not chunk.startswith(magic[: len(chunk)]):
            raise AnkiFileError(
                f"{path}: its collection is not an SQLite file (the package is damaged or "
                "not from Anki); export it again"
            )
        written += len(chunk)
        if written > limit:
            raise AnkiFileError(
                f"{path}: {what} unpacks to more than {_size(limit)}; dlcards does not read it"
            )
        dst.write(chunk)


def _size(limit: int) -> str:
    return f"{limit / (1 << 30):g} GB" if limit >= 1 << 30 else f"{limit / (1 << 20):g} MB"


def _unzstd(
    src: Any,
    dst: Any,
    path: Path,
    limit: int | None = None,
    magic: bytes = b"",
    what: str = "its collection",
) -> None:
    """Decompress a zstd stream into `dst` (`_copy_limited`'s checks); `what` the stream is,
    for the message when it is damaged."""
    import zstandard

    try:
        with zstandard.ZstdDecompressor().stream_reader(src) as reader:
            _copy_limited(reader, dst, path, limit, magic, what)
    except zstandard.ZstdError as err:
        raise AnkiFileError(f"{path}: {what} is damaged ({err}); export it again") from None


def _unpack_media(
    archive: zipfile.ZipFile, version: int, into: Path, path: Path
) -> dict[str, Path]:
    """The media files the package's media list names, unpacked into `into`. The list is
    read with a limit (MAX_MEDIA_LIST), and only as many of its entries as the zip holds
    files: 17 KB of zstd that unpacked to 200 MB of empty entries took 12 GB and six minutes
    to read, for files that were not there."""
    import io

    present = set(archive.namelist())
    raw = io.BytesIO()
    with archive.open("media") as src:
        if version >= PACKAGE_LATEST:
            _unzstd(src, raw, path, MAX_MEDIA_LIST, what="its media list")
        else:
            _copy_limited(src, raw, path, MAX_MEDIA_LIST, what="its media list")
    try:
        if version >= PACKAGE_LATEST:
            names = media_names(raw.getvalue(), most=len(present))
        else:
            listed = json_object(raw.getvalue().decode("utf-8") or "{}", "the media entry")
            names = {str(k): str(v) for k, v in listed.items()}
    except (ValueError, UnicodeDecodeError) as err:
        raise AnkiFileError(
            f"{path}: its media list is damaged ({err}); export it again from Anki"
        ) from None
    into.mkdir(parents=True, exist_ok=True)
    out = {}
    for entry, name in names.items():
        safe = PurePosixPath(name.replace("\\", "/")).name
        if not safe or safe in (".", "..") or entry not in present:
            continue
        target = into / safe
        with archive.open(entry) as src, target.open("wb") as dst:
            if version >= PACKAGE_LATEST:
                _unzstd(src, dst, path, what=f"its media file {entry}")
            else:
                _copy_limited(src, dst, path, what=f"its media file {entry}")
        out[name] = target
    return out


# --- reading the collection ---------------------------------------------------------------------


def json_object(text: str | bytes, what: str) -> Mapping[str, Any]:
    """The JSON object in `text`, which holds `what` (a legacy collection's note types or
    decks, a legacy media list): ValueError for anything else, as for text that is not JSON,
    so that a damaged or hostile file is one error line (an array there raised
    AttributeError, nesting deeper than Python's recursion limit RecursionError)."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError(f"{what} is JSON nested too deeply") from None
    if not isinstance(value, dict):
        kinds = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}
        raise ValueError(f"{what} is {kinds.get(type(value), 'a number')}, not a JSON object")
    return value


def _read_sqlite(copy: Path, shown: Path) -> Collection:
    try:
        conn = sqlite3.connect(copy, isolation_level=None)
    except sqlite3.Error as err:  # pragma: no cover - a fresh copy in our own directory
        raise AnkiFileError(f"cannot open the collection in {shown}: {err}") from None
    try:
        return _collection(conn, shown)
    except (sqlite3.DatabaseError, ValueError, KeyError, TypeError) as err:
        raise AnkiFileError(
            f"{shown}: its collection is corrupt or not an Anki collection ({err}); "
            "export it again from Anki"
        ) from None
    finally:
        conn.close()


def _collection(conn: sqlite3.Connection, shown: Path) -> Collection:
    row = conn.execute("SELECT ver FROM col").fetchone()
    if row is None:
        raise sqlite3.DatabaseError("no collection row")
    schema = int(row[0])
    if schema > SCHEMA_MAX:
        raise AnkiFileError(
            f"{shown} was made by a newer Anki (collection schema {schema}; dlcards reads "
            f"{SCHEMA_MIN} to {SCHEMA_MAX}); update dlcards, or export from Anki with "
            '"Support older Anki versions" ticked'
        )
    if schema < SCHEMA_MIN:
        raise AnkiFileError(
            f"{shown} is from Anki 2.0 or older (collection schema {schema}); open it in a "
            "current Anki and export it again"
        )
    if schema >= 15:
        notetypes, decks = _notetypes_v18(conn), _decks_v18(conn)
    else:
        notetypes, decks = _notetypes_v11(conn), _decks_v11(conn)
    notes = [
        Note(int(i), str(g), int(m), anki_tags(str(t)), tuple(str(f).split("\x1f")), int(c or 0))
        for i, g, m, t, f, c in conn.execute(
            "SELECT id, guid, mid, tags, flds, mod FROM notes ORDER BY id"
        )
    ]
    if _is_placeholder(conn, schema, notes):
        raise AnkiFileError(
            f"{shown} is the placeholder Anki puts in its packages for Ankis too old to read "
            "them (its one note asks to update Anki), not a collection: give the .apkg or "
            ".colpkg file itself"
        )
    cards = [
        Card(int(i), int(n), int(d), int(o), bool(t), bool(q), int(m or 0), bool(b))
        for i, n, d, o, t, q, m, b in conn.execute(
            "SELECT id, nid, CASE WHEN odid != 0 THEN odid ELSE did END, ord, type != 0, "
            "queue = -1, mod, queue IN (-2, -3) FROM cards ORDER BY nid, ord"
        )
    ]
    scheduler = scheduler_version(conn)
    # V1's learning buttons as V2's, as Anki reads such a log (its v2_upgrade.sql): V1 gave
    # a card in learning or relearning 3 buttons, ease 2 Good and 3 Easy
    v1 = int(scheduler == SCHED_V1)
    # every value a number (a text, a blob or an empty id in one is a damaged file), checked
    # in SQL before the rows are taken as the query gives them
    (odd,) = conn.execute(
        "SELECT count(*) FROM revlog WHERE "
        + " OR ".join(f"typeof({c}) NOT IN ('integer', 'real')" for c in _REVLOG_NUMBERS)
        + " OR typeof(time) IN ('text', 'blob') OR typeof(factor) IN ('text', 'blob')"
    ).fetchone()
    if odd:
        raise ValueError(f"its review log holds text where a number belongs, in {odd} of its rows")
    revlog = list(
        map(
            Revlog._make,
            conn.execute(
                "SELECT CAST(id AS INTEGER), CAST(cid AS INTEGER), CASE WHEN ? AND type IN "
                "(0, 2) AND ease IN (2, 3) THEN CAST(ease AS INTEGER) + 1 ELSE CAST(ease AS "
                "INTEGER) END, CAST(type AS INTEGER), CAST(coalesce(time, 0) AS INTEGER), "
                "CAST(coalesce(factor, 0) AS INTEGER) FROM revlog ORDER BY id",
                (v1,),
            ),
        )
    )
    for when in (revlog[0].id, revlog[-1].id) if revlog else ():
        if not EARLIEST_ANSWER_MS <= when <= LATEST_ANSWER_MS:
            raise AnkiFileError(
                f"{shown}: its review log has an answer time no calendar holds ({when} ms); "
                "in Anki, Tools > Check Database sets it right: export again after it"
            )
    unsure = scheduler is None and learning_answers_unsure(revlog)
    return Collection(
        shown, schema, notetypes, decks, notes, cards, revlog, scheduler=scheduler,
        scheduler_unsure=unsure,
    )  # fmt: skip


def _is_placeholder(conn: sqlite3.Connection, schema: int, notes: list[Note]) -> bool:
    """Whether the collection is the placeholder Anki writes into its packages beside the
    real one, for Ankis too old to read them (`write_dummy_collection` in rslib's
    colpkg/export.rs): a new collection of schema 11 vacuumed to 512-byte pages, no review
    log, one Basic note whose front asks, in the exporting Anki's language, to update Anki
    and whose back is empty. Anki's collections have 4096-byte pages; and a collection whose
    one note has nothing on its back holds nothing to import anyway. A package names its real
    collection in its meta entry; the placeholder comes alone from a package unzipped."""
    if schema != PLACEHOLDER_SCHEMA or len(notes) != 1 or any(notes[0].fields[1:]):
        return False
    (page,) = conn.execute("PRAGMA page_size").fetchone()
    return (
        int(page) == PLACEHOLDER_PAGE
        and conn.execute("SELECT 1 FROM revlog LIMIT 1").fetchone() is None
    )


PLACEHOLDER_SCHEMA, PLACEHOLDER_PAGE = 11, 512
"""The schema and page size of Anki's placeholder collection (`_is_placeholder`)."""


_REVLOG_NUMBERS = ("id", "cid", "ease", "type")
"""The columns of Anki's review log that must hold a number in every row."""


def learning_answers_unsure(revlog: list[Revlog]) -> bool:
    """Whether answers to cards in learning read one way with V1's 3 buttons and another with
    V2's 4: some pressed the second or third button, none the fourth (only V2 has one)."""
    learning = {row.ease for row in revlog if row.kind in (0, 2)}
    return bool(learning & {2, 3}) and 4 not in learning


def scheduler_version(conn: sqlite3.Connection) -> int | None:
    """Which of Anki's schedulers the collection says it was studied with: its `schedVer`
    setting (in the `config` table, or `col.conf` before it), 1 when absent as Anki reads it
    (`scheduler_version` in rslib/src/config); the v3 scheduler logs as V2 and is 2 there.
    None when the setting cannot be read."""
    has_table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'config'"
    ).fetchone()
    try:
        if has_table:
            row = conn.execute("SELECT val FROM config WHERE KEY = 'schedVer'").fetchone()
            value = json.loads(bytes(row[0]).decode("utf-8")) if row else SCHED_V1
        else:
            (conf,) = conn.execute("SELECT conf FROM col").fetchone()
            value = json.loads(conf or "{}").get("schedVer", SCHED_V1)
    except (sqlite3.Error, ValueError, TypeError, AttributeError):
        return None
    return value if value in (SCHED_V1, SCHED_V2) else None


def _notetypes_v11(conn: sqlite3.Connection) -> dict[int, NoteType]:
    models = json_object(conn.execute("SELECT models FROM col").fetchone()[0], "col.models")
    out = {}
    for model in models.values():
        fields = tuple(f["name"] for f in sorted(model["flds"], key=lambda f: f["ord"]))
        templates = tuple(
            Template(t["name"], t.get("qfmt", ""), t.get("afmt", ""))
            for t in sorted(model["tmpls"], key=lambda t: t["ord"])
        )
        nid = int(model["id"])
        out[nid] = NoteType(nid, str(model["name"]), model.get("type") == 1, fields, templates)
    return out


def _decks_v11(conn: sqlite3.Connection) -> dict[int, str]:
    decks = json_object(conn.execute("SELECT decks FROM col").fetchone()[0], "col.decks")
    return {int(d["id"]): _deck_name(str(d["name"])) for d in decks.values()}


@lru_cache(maxsize=4096)
def anki_tags(text: str) -> tuple[str, ...]:
    """A note's tags as Anki splits them (rslib/src/tags: at ' ' and U+3000 only; a no-break
    space is part of a tag). Kept for the texts asked for again: a collection's notes share a
    few sets of tags (100,000 notes: 0.53 -> 0.05 s)."""
    return tuple(tag for tag in text.replace("\u3000", " ").split(" ") if tag)


def _notetypes_v18(conn: sqlite3.Connection) -> dict[int, NoteType]:
    fields: dict[int, list[str]] = {}
    for ntid, name in conn.execute("SELECT ntid, name FROM fields ORDER BY ntid, ord"):
        fields.setdefault(int(ntid), []).append(str(name))
    templates: dict[int, list[Template]] = {}
    for ntid, name, config in conn.execute(
        "SELECT ntid, name, config FROM templates ORDER BY ntid, ord"
    ):
        blob = bytes(config or b"")
        templates.setdefault(int(ntid), []).append(
            Template(str(name), _proto_str(blob, 1), _proto_str(blob, 2))
        )
    out = {}
    for ntid, name, config in conn.execute("SELECT id, name, config FROM notetypes"):
        kind = _proto_int(bytes(config or b""), 1)  # Notetype.Config.kind: 0 normal, 1 cloze
        i = int(ntid)
        out[i] = NoteType(
            i, str(name), kind == 1, tuple(fields.get(i, ())), tuple(templates.get(i, ()))
        )
    return out


def _decks_v18(conn: sqlite3.Connection) -> dict[int, str]:
    return {
        int(i): _deck_name(str(name).replace("\x1f", "::"))
        for i, name in conn.execute("SELECT id, name FROM decks")
    }


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _deck_name(name: str) -> str:
    """A deck's name as Anki shows it: without control characters (Anki drops them from the
    names it makes; an older Anki's or another program's collection may hold them), which a
    deck's title may not hold either (`import anki --to-yaml` wrote decks that did not load)."""
    return _CONTROL.sub("", name)
