"""The package's parallel deflate: one valid stream, the same bytes on any number of threads."""

from __future__ import annotations

import io
import zipfile
import zlib
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcards.export import deflate
from dlcards.export.deflate import ParallelDeflate, copy_deflated


def _deflated(pieces: list[bytes], threads: int, ahead: int = 4) -> bytes:
    compressor = ParallelDeflate(1, threads, ahead)
    return b"".join(compressor.compress(p) for p in pieces) + compressor.flush()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(st.binary(max_size=3000), st.text(max_size=3000).map(str.encode)), max_size=12
    ),
    st.integers(1, 3),
)
def test_pieces_make_one_stream_whatever_the_threads(pieces: list[bytes], ahead: int) -> None:
    """Pieces compressed apart and put together inflate to the data (text repeats, so matches
    are found within a piece), and no number of threads or waiting pieces changes a byte."""
    one = _deflated(pieces, 1, ahead)
    inflate = zlib.decompressobj(-zlib.MAX_WBITS)
    assert inflate.decompress(one) + inflate.flush() == b"".join(pieces)
    assert inflate.eof and not inflate.unused_data  # the final block ends the stream
    assert _deflated(pieces, 3, ahead) == one


def test_a_zip_entry_reads_back_with_its_crc(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = b"".join(b"note %d: the gradient of the loss\x1f" % i for i in range(200_000))
    assert len(data) > 3 * deflate.CHUNK  # several pieces
    source = tmp_path / "collection.anki2"
    source.write_bytes(data)
    packages = []
    for threads in (1, 2):
        out = io.BytesIO()
        with patch.object(deflate, "threads", return_value=threads):
            with zipfile.ZipFile(out, "w") as archive:
                info = zipfile.ZipInfo("collection.anki2")
                info.compress_type = zipfile.ZIP_DEFLATED
                with source.open("rb") as src, archive.open(info, "w") as dst:
                    copy_deflated(src, dst, 1)
        packages.append(out.getvalue())
    assert packages[0] == packages[1]
    with zipfile.ZipFile(io.BytesIO(packages[0])) as archive:
        assert archive.testzip() is None  # every entry's CRC checked
        assert archive.read("collection.anki2") == data
        assert archive.getinfo("collection.anki2").compress_size < len(data) // 5


def test_a_stored_entry_is_refused() -> None:
    with zipfile.ZipFile(io.BytesIO(), "w") as archive:
        with archive.open(zipfile.ZipInfo("x"), "w") as dst:  # stored: no compressor
            with pytest.raises(TypeError, match="deflate"):
                copy_deflated(io.BytesIO(b"x"), dst, 1)
