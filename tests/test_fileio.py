"""`dlcards.fileio`: an atomic write is durable, its rename included."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from dlcards import fileio


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="descriptors named in /proc")
@pytest.mark.parametrize("how", ["one", "all", "cache"])
def test_a_durable_atomic_write_syncs_its_folder_after_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """The temporary file was fsynced and renamed over the target, but the folder was not:
    a power cut after the rename could bring back the file as it was before (a deck's edit,
    said to be saved, gone). The folder is synced after the rename now (not for a cache,
    which its reader checks and rebuilds)."""
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src: str | Path, dst: str | Path) -> None:
        real_replace(src, dst)
        events.append(("replace", str(dst)))

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    target = tmp_path / "deck.yaml"
    if how == "one":
        fileio.atomic_write_bytes(target, b"cards: []\n")
    elif how == "all":
        fileio.atomic_write_all([(target, b"cards: []\n")])
    else:
        fileio.write_cache_json(target, {"a": 1})
    assert target.exists()
    renamed = events.index(("replace", str(target)))
    synced_after = ("fsync", str(tmp_path)) in events[renamed + 1 :]
    assert synced_after == (how != "cache"), events


@pytest.mark.skipif(sys.platform == "win32", reason="folders cannot be opened")
def test_syncing_a_folder_that_is_gone_is_quiet(tmp_path: Path) -> None:
    fileio.fsync_folder(tmp_path / "gone")
