"""How worth answering are the quiz's fresh numbers? Draws N questions per templated card.

    python bench/quiz_draws.py [--draws 500] [--seed 1] [--decks DIR]

For every card with a `quiz:` template (built-in decks, plus --decks), `typed_question` is
drawn N times from one seeded `random.Random`, and per card the table gives:

- zero%:   answers that are 0 (a vector: all 0)
- given%:  a scalar answer equal to one of the drawn numbers (x·1, a mean of equal values...)
- same%:   a vector answer equal to a vector the prompt gives (the perceptron's w unchanged)
- in0%:    draws with a drawn number 0 (an input that may make the question trivial)
- eq%:     draws whose drawn numbers are all equal (of 3 or more)
- rep%:    repeated questions (1 − distinct prompts / N)
- |max|, |min|: the largest answer and the smallest non-zero one (absurd magnitudes)
- none:    draws that gave no question (no valid computation: a self-graded fallback)
- bad:     answers that are NaN or infinite, or differ from the engine's on the same arguments

Cards whose zero% + given% + same% is above --flag (default 20) are marked with *.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _numbers(values: dict[str, object]) -> list[float]:
    return [
        float(v) for v in values.values() if isinstance(v, int | float) and not isinstance(v, bool)
    ]


def _vectors(args: dict[str, object]) -> list[list[float]]:
    out = []
    for v in args.values():
        if isinstance(v, list) and v and all(isinstance(x, int | float) for x in v):
            out.append([float(x) for x in v])
    return out


def measure(card, draws: int, seed: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
    from dlcards import engine
    from dlcards.quiz import engine_args, typed_question

    rng = random.Random(seed)
    block = card.compute[card.quiz.answer]
    zero = given = same = in0 = eq = none = bad = 0
    prompts: set[str] = set()
    big, small = 0.0, math.inf
    for _ in range(draws):
        q = typed_question(card, rng)
        if q is None or q.result is None:
            none += 1
            continue
        prompts.add(q.prompt)
        value = q.result.value
        entries = [float(v) for v in (value if isinstance(value, list) else [value])]
        args = engine_args(card, q.params)
        again = engine.run(block.fn, args).value
        if not all(math.isfinite(v) for v in entries) or again != value:
            bad += 1
        nums = _numbers(dict(q.params))
        if all(v == 0 for v in entries):
            zero += 1
        elif not isinstance(value, list) and entries[0] in nums:
            given += 1
        elif isinstance(value, list) and entries in _vectors(args):
            same += 1
        if 0.0 in nums:
            in0 += 1
        if len(nums) >= 3 and len(set(nums)) == 1:
            eq += 1
        for v in entries:
            if math.isfinite(v):
                big = max(big, abs(v))
                if v:
                    small = min(small, abs(v))
    asked = max(draws - none, 1)
    return {
        "card": card.id,
        "fn": block.fn,
        "zero": 100 * zero / asked,
        "given": 100 * given / asked,
        "same": 100 * same / asked,
        "in0": 100 * in0 / asked,
        "eq": 100 * eq / asked,
        "rep": 100 * (1 - len(prompts) / asked),
        "max": big,
        "min": small,
        "none": none,
        "bad": bad,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--flag", type=float, default=20.0)
    parser.add_argument("--decks", action="append", default=[])
    opts = parser.parse_args(argv)

    from dlcards.catalog import load_catalog

    cards = [c for c in load_catalog(opts.decks, use_cache=False).cards if c.quiz and c.compute]
    head = f"{'card':<15}{'computation':<22}{'zero%':>6}{'given%':>7}{'same%':>6}{'in0%':>6}"
    head += f"{'eq%':>5}{'rep%':>6}{'|max|':>11}{'|min|':>11}{'none':>5}{'bad':>4}"
    print(head)
    flagged = 0
    for card in cards:
        m = measure(card, opts.draws, opts.seed)
        trivial = m["zero"] + m["given"] + m["same"]  # type: ignore[operator]
        mark = "*" if trivial > opts.flag else " "
        flagged += mark == "*"
        low = "-" if m["min"] == math.inf else f"{m['min']:.3g}"
        print(
            f"{mark}{m['card']:<14}{m['fn']:<22}{m['zero']:>6.1f}{m['given']:>7.1f}"
            f"{m['same']:>6.1f}{m['in0']:>6.1f}{m['eq']:>5.1f}{m['rep']:>6.1f}"
            f"{m['max']:>11.4g}{low:>11}{m['none']:>5}{m['bad']:>4}"
        )
    print(
        f"{len(cards)} templated cards, {opts.draws} draws each, seed {opts.seed}; "
        f"{flagged} with more than {opts.flag:g}% trivial answers (*)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
