"""What the real-Anki tests take from the `anki` package (Anki's own Rust backend, the `test`
extra), in one place: a test module importing this is skipped where Anki is not installed."""

import pytest

pytest.importorskip("anki")

from anki.collection import (  # noqa: E402
    Collection,
    ExportAnkiPackageOptions,
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
    ImportCsvRequest,
)
from anki.scheduler.v3 import CardAnswer  # noqa: E402

__all__ = [
    "CardAnswer",
    "Collection",
    "ExportAnkiPackageOptions",
    "ImportAnkiPackageOptions",
    "ImportAnkiPackageRequest",
    "ImportCsvRequest",
]
