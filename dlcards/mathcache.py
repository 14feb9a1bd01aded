"""LaTeX math converted once: each conversion kept on disk by what it is made from.

Converting a card's LaTeX takes pylatexenc, whose import (with the logging and inspect it
imports) and converter build cost ~17 ms: more than the rest of `dlcards show`. What
`dlcards.render.latex_to_unicode` makes of a fragment depends only on the fragment, on
dlcards.render's code and on pylatexenc's version, so a conversion is kept under a name made
of all three (`revision`) and can never go stale: a new dlcards or pylatexenc reads another
folder, an edited fragment is another key. (Anki keeps the images it renders from LaTeX the
same way, by the hash of their source.)

Layout: `cache_dir()/math/<revision>/<shard>.json`, each a JSON object {fragment: text}
(after its checksum's line, `fileio.write_cache_json`), the
fragment's shard `crc32(fragment) % SHARDS`. A process reads a shard once; what it converts is
written when it exits (`atexit`), each touched shard read again and replaced atomically, so two
processes at once keep each other's entries but for a race that only costs a conversion later.
Writing removes the folders of other revisions. A cache that cannot be read or written is no
cache: nothing fails for it.
"""

from __future__ import annotations

import sys
import zlib

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from pathlib import Path

SHARDS = 256

_shards: dict[Path, dict[str, str]] = {}  # the shards read so far, by file
_pending: dict[Path, dict[str, str]] = {}  # conversions made here, not written yet, by shard
_revision: list[str | None] = []  # revision(), once worked out


def revision() -> str | None:
    """The converter's revision: pylatexenc's version and a checksum of dlcards.render's
    source; None when the source cannot be read (the cache is then not used)."""
    try:
        from pylatexenc.version import version_str

        source = sys.modules["dlcards.render"].__file__
        with open(source or "", "rb") as fh:
            code = fh.read()
    except (ImportError, KeyError, OSError):
        return None
    return f"{version_str}-{zlib.crc32(code):08x}"


def _file(tex: str) -> Path | None:
    """The shard file that keeps `tex`'s conversion (None: no cache)."""
    if not _revision:
        _revision.append(revision())
    if _revision[0] is None:
        return None
    from dlcards.paths import cache_dir

    number = zlib.crc32(tex.encode("utf-8", "surrogatepass")) % SHARDS  # any str has one
    return cache_dir() / "math" / _revision[0] / f"{number:02x}.json"


def _read(file: Path) -> dict[str, str]:
    from dlcards.fileio import read_cache_json

    try:
        data = read_cache_json(file)
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def lookup(tex: str) -> str | None:
    """The kept conversion of `tex`, or None."""
    file = _file(tex)
    if file is None:
        return None
    shard = _shards.get(file)
    if shard is None:
        shard = _shards[file] = _read(file)
    return shard.get(tex)


def keep(tex: str, text: str) -> None:
    """Keep `text` as the conversion of `tex` (written when the process exits)."""
    file = _file(tex)
    if file is None:
        return
    try:
        (tex + text).encode("utf-8")
    except UnicodeEncodeError:
        return  # bytes that were not UTF-8 in a deck (lone surrogates): not kept
    _shards.setdefault(file, {})[tex] = text
    if not _pending:
        import atexit

        atexit.register(flush)
    _pending.setdefault(file, {})[tex] = text


def flush() -> None:
    """Write the conversions made in this process: each touched shard read again (another
    process may have added to it) and replaced atomically. Errors are ignored: a cache. So is
    a Ctrl-C, which comes here as the process ends (a second one as a stopped session ended
    printed `Exception ignored in atexit callback` and a traceback): the write is given up,
    the conversions made again later."""
    try:
        _write_pending()
    except KeyboardInterrupt:
        _pending.clear()


def _write_pending() -> None:
    from dlcards.fileio import write_cache_json

    for file, made in sorted(_pending.items()):
        merged = dict(sorted({**_read(file), **made}.items()))
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            write_cache_json(file, merged)
        except OSError:
            break  # a full disk or a read-only cache: the conversions are made again later
    folders = {file.parent for file in _pending}
    _pending.clear()
    for folder in folders:
        _prune(folder)


def _prune(current: Path) -> None:
    """Remove the conversions of other revisions (an older dlcards or pylatexenc): no process
    of this installation reads them again."""
    import shutil

    try:
        others = [p for p in current.parent.iterdir() if p.is_dir() and p != current]
    except OSError:
        return
    for folder in others:
        shutil.rmtree(folder, ignore_errors=True)


def reset() -> None:
    """Forget what this process read and made, unwritten (tests)."""
    _shards.clear()
    _pending.clear()


__all__ = ["SHARDS", "flush", "keep", "lookup", "reset", "revision"]
