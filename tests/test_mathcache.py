"""`dlcards.mathcache`: LaTeX converted once is read back in later processes, the same text,
without importing pylatexenc; a conversion is kept under the converter's revision, so another
dlcards or pylatexenc never reads it; a damaged, foreign or unwritable cache is no cache."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

from helpers import quick_run

from dlcards import mathcache, render
from dlcards.catalog import load_catalog
from dlcards.fileio import read_cache_json

FRACTION = r"\frac{320}{64} = \mathbf{5 \text{ updates}}"


def fresh(tex: str) -> str:
    render.latex_to_unicode.cache_clear()
    return render.latex_to_unicode(tex)


def shard(tex: str) -> Path:
    file = mathcache._file(tex)
    assert file is not None
    return file


def test_a_conversion_is_kept_and_read_back(isolated: Path) -> None:
    made = fresh(FRACTION)
    assert made == "320/64 = 5 updates"
    assert not shard(FRACTION).exists()  # written when the process exits
    mathcache.flush()
    assert read_cache_json(shard(FRACTION)) == {FRACTION: made}
    mathcache.reset()
    converter = render._converter_instance
    render._converter_instance = None  # a later process: no converter built yet
    try:
        assert fresh(FRACTION) == made
        assert render._converter_instance is None  # read back, not converted
    finally:
        render._converter_instance = converter


def test_every_card_reads_back_what_it_converted(isolated: Path) -> None:
    fragments = set()
    for card in load_catalog(()).cards:
        for text in (card.question, card.answer, card.erratum or "", card.note or ""):
            fragments |= {a or b for a, b in re.findall(r"\$\$(.+?)\$\$|\$(.+?)\$", text, re.S)}
    made = {tex: fresh(tex) for tex in fragments}
    mathcache.flush()
    mathcache.reset()
    assert {tex: fresh(tex) for tex in fragments} == made
    assert len(list(shard(FRACTION).parent.iterdir())) > 10  # spread over the shards


def test_the_revision_names_pylatexenc_and_this_converter(tmp_path: Path) -> None:
    from pylatexenc.version import version_str

    name = mathcache.revision()
    assert name is not None and name.startswith(f"{version_str}-")
    edited = tmp_path / "render.py"
    edited.write_bytes(Path(render.__file__).read_bytes() + b"\n# a change\n")
    module = sys.modules["dlcards.render"]
    original = module.__file__
    module.__file__ = str(edited)
    try:
        assert mathcache.revision() not in (None, name)  # another converter: another folder
    finally:
        module.__file__ = original


def test_a_damaged_or_foreign_shard_is_no_cache(isolated: Path) -> None:
    file = shard(FRACTION)
    file.parent.mkdir(parents=True)
    for damaged in ("{not json", "[1, 2]", json.dumps({FRACTION: 5})):
        file.write_text(damaged, encoding="utf-8")
        mathcache.reset()
        assert fresh(FRACTION) == "320/64 = 5 updates"
    mathcache.flush()  # written anew, whole
    assert read_cache_json(file) == {FRACTION: "320/64 = 5 updates"}


def test_a_bit_flipped_in_a_kept_conversion_is_not_shown(isolated: Path) -> None:
    """A shard is read back for as long as this dlcards and pylatexenc are installed. A bit
    flipped on the disk in a conversion is still valid JSON, and `5 updates` came back as
    `4 updates` (a wrong number on a math card). The shard's checksum now makes it no cache:
    the fragment is converted again."""
    made = fresh(FRACTION)
    mathcache.flush()
    file = shard(FRACTION)
    raw = file.read_bytes()
    assert b"5 updates" in raw
    file.write_bytes(raw.replace(b"5 updates", b"4 updates"))  # '5' and '4': one bit
    mathcache.reset()
    assert fresh(FRACTION) == made == "320/64 = 5 updates"


def test_an_unwritable_cache_is_no_cache(isolated: Path) -> None:
    cache = Path(os.environ["DLCARDS_CACHE_DIR"])
    (cache / "math").parent.mkdir(parents=True, exist_ok=True)
    (cache / "math").write_text("a file where the folder would be")
    assert fresh(FRACTION) == "320/64 = 5 updates"
    mathcache.flush()  # no error
    assert (cache / "math").is_file()


def test_two_processes_keep_each_others_conversions(isolated: Path) -> None:
    one = r"\alpha_{1}"
    file = shard(one)
    other = next(f"\\beta_{{{n}}}" for n in range(1000) if shard(f"\\beta_{{{n}}}") == file)
    fresh(one)
    kept_one = dict(mathcache._pending)
    mathcache.reset()
    fresh(other)  # the second process, on the same shard
    mathcache.flush()
    mathcache._pending.update(kept_one)  # the first process exits after it
    mathcache.flush()
    kept = read_cache_json(file)
    assert isinstance(kept, dict) and set(kept) == {one, other}


def test_show_reads_kept_math_without_pylatexenc(isolated: Path) -> None:
    report = "'latex2text' if 'pylatexenc.latex2text' in sys.modules else 'none'"
    runs = [quick_run(["show", "gd-23"], report) for _ in range(2)]
    assert runs[0][-1] == "latex2text"  # the first converts, and keeps it
    assert runs[1][-1] == "none"
    assert runs[0][:-1] == runs[1][:-1]
    assert any("320/64 = 5 updates" in line for line in runs[1])


def test_conversions_of_another_revision_are_removed_when_new_ones_are_written(
    isolated: Path,
) -> None:
    old = shard(FRACTION).parent.parent / "2.10-00000000"
    old.mkdir(parents=True)
    (old / "00.json").write_text("{}")
    fresh(FRACTION)
    assert old.exists()  # reading removes nothing
    mathcache.flush()
    assert not old.exists() and shard(FRACTION).is_file()


def test_a_ctrl_c_as_the_conversions_are_written_at_exit_says_nothing(tmp_path: Path) -> None:
    """The conversions are written at exit (`atexit`). A second Ctrl-C as a stopped study
    session ended landed in that write: Python printed `Exception ignored in atexit
    callback` and a traceback ending in KeyboardInterrupt under `Interrupted. 2 grades
    saved.`. A cache: the write is given up, nothing said, the conversion made again later."""
    import subprocess

    script = (
        "import dlcards.fileio as fileio\n"
        "from dlcards import mathcache, render\n"
        "def interrupted(*args, **kwargs):\n"
        "    raise KeyboardInterrupt\n"
        "fileio.write_cache_json = interrupted\n"
        "assert mathcache._file('x') is not None\n"
        "mathcache.keep(r'\\alpha', 'α')\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path),
           "DLCARDS_CACHE_DIR": str(tmp_path / "cache")}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and ".tmp" in p.name]
