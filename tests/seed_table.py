"""Independent reader of the seed's Markdown Q&A tables, for the transcription test.

It walks the `## section` headings and splits table rows on
`|` separators that stand outside backticks and `$...$` math, handling the seed's two traps:
Gradient Descent rows 8 and 9 share one line, and row 20 has its answer inside the question cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SeedRow:
    section: str  # heading text, without '#' and '**'
    level: str  # "intuitive", "interview" or "" (from the table's header row)
    number: str  # as in the table: "23", "G1"
    question: str
    answer: str


def read_seed(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def split_cells(line: str) -> list[str]:
    """Split a table line on `|` outside `...` code spans and $...$ math."""
    cells: list[str] = []
    buf: list[str] = []
    in_code = in_math = False
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line):
            buf.append(line[i : i + 2])
            i += 2
            continue
        if ch == "`" and not in_math:
            in_code = not in_code
        elif ch == "$" and not in_code:
            in_math = not in_math
        if ch == "|" and not in_code and not in_math:
            cells.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    cells.append("".join(buf))
    return [c.strip() for c in cells]


_ROW = re.compile(r"^\|\s*\*\*([A-Z]?\d+)\*\*\s*\|")


def parse_rows(text: str) -> list[SeedRow]:
    rows: list[SeedRow] = []
    section = ""
    level = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("## "):
            section = line[3:].replace("**", "").strip()
            continue
        if line.startswith("| \\#") or line.startswith("| #"):
            header = line.lower()
            level = (
                "interview"
                if "interview" in header
                else "intuitive"
                if "intuitive" in header
                else ""
            )
            continue
        if not _ROW.match(line):
            continue
        # Two rows on one line: "... $$ || **9** | ..."
        for part in re.split(r"\|\|\s*(?=\*\*\d+\*\*\s*\|)", line):
            if not part.startswith("|"):
                part = "| " + part
            cells = split_cells(part.rstrip().rstrip("|") if part.rstrip().endswith("||") else part)
            # cells: ["", number, question, answer, ""]
            inner = list(cells[1:])
            if inner and inner[-1] == "":
                inner = inner[:-1]
            number = inner[0].strip("*")
            question = inner[1]
            answer = inner[2] if len(inner) > 2 else ""
            if "<br>**Answer:**" in question and not answer:
                question, answer = question.split("<br>**Answer:**", 1)
                question, answer = question.strip(), answer.strip()
            rows.append(SeedRow(section, level, number, question, answer))
    return rows
