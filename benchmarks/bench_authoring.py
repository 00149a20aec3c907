"""Bank import/export speed per format, and validate + build of every shipped course.

Run: .venv/bin/python benchmarks/bench_authoring.py [N]   (N questions per bank, default 5000)
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from partyquiz.authoring import load_course
from partyquiz.banks import FORMATS, parse_bank, write_bank
from partyquiz.build import build_course
from partyquiz.model import Alternative, ClozePart, MatchPair, NumericAnswer, Option, Question

REPO = Path(__file__).resolve().parents[1]


def sample_bank(n: int) -> list[Question]:
    kinds = ["single", "multiple", "truefalse", "fill", "numeric", "matching", "essay"]
    bank = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        data = {"id": f"q{i}", "type": kind, "stem": f"第 {i} 题：支部党员大会多久召开一次？", "explanation": "支部党员大会每季度召开一次。", "points": 2}
        if kind in ("single", "multiple"):
            data["options"] = [Option(id=c, text=f"选项{c}", correct=(c == "B" or (kind == "multiple" and c == "C"))) for c in "ABCD"]
        elif kind == "truefalse":
            data["answer"] = True
        elif kind == "fill":
            data["blanks"] = [["细胞", "细胞和血液"]]
        elif kind == "numeric":
            data["value"], data["tolerance"] = 99.1, 0.05
        elif kind == "matching":
            data["pairs"] = [MatchPair(id="A", left="支部党员大会", right="每季度一次"), MatchPair(id="B", left="支委会", right="每月一次")]
        bank.append(Question(**data))
    return bank


def new_kinds_bank(n: int) -> list[Question]:
    """Issue 14's kinds: descriptions, cloze, weighted blanks, several numeric answers, feedback."""
    bank = []
    for i in range(n):
        kind = ("description", "cloze", "fill", "numeric", "truefalse")[i % 5]
        data = {"id": f"n{i}", "type": kind, "stem": f"第 {i} 题：支部党员大会多久召开一次？", "explanation": "每季度一次。"}
        if kind == "cloze":
            data["stem"] += " 答：{{p1}}，党员是党的{{p2}}。"
            data["parts"] = [ClozePart(id="p1", kind="shortanswer", alternatives=[Alternative(text="每季度", feedback="对"), Alternative(text="每季", fraction=0.5)]),
                             ClozePart(id="p2", kind="multichoice", options=[Option(id="a", text="细胞", correct=True), Option(id="b", text="血液")])]
            data["points"] = 2
        elif kind == "fill":
            data["blanks"] = [[Alternative(text="入党日", feedback="完全正确"), Alternative(text="入党那天", fraction=0.5, feedback="意思对")]]
        elif kind == "numeric":
            data["numeric_answers"] = [NumericAnswer(value=99.1, tolerance=0.05, feedback="准确"), NumericAnswer(range=(98, 100), fraction=0.5)]
        elif kind == "truefalse":
            data.update(answer=False, feedback_true="错：每季度一次。", feedback_false="对。")
        bank.append(Question(**data))
    return bank


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main(n: int) -> None:
    bank = sample_bank(n)
    print(f"bank of {n} questions (all seven types)")
    print(f"{'format':8} {'export s':>9} {'import s':>9} {'questions/s (import)':>22}")
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, ext in FORMATS.items():
            path = Path(tmp) / f"bank{ext}"
            _, t_out = timed(lambda: write_bank(bank, path, fmt))
            result, t_in = timed(lambda: parse_bank(path))
            assert not result.problems and len(result.questions) == n
            print(f"{fmt:8} {t_out:9.2f} {t_in:9.2f} {n / t_in:22.0f}")
        extra = new_kinds_bank(n)
        print(f"bank of {n} questions of the new kinds (description, cloze, weighted fill/numeric, true/false feedback; GIFT without cloze)")
        for fmt, ext in FORMATS.items():
            path = Path(tmp) / f"new{ext}"
            part = [q for q in extra if not (fmt == "gift" and q.type == "cloze")]
            _, t_out = timed(lambda: write_bank(part, path, fmt))
            result, t_in = timed(lambda: parse_bank(path))
            assert not result.problems and result.questions == part, result.problems[:3]
            print(f"{fmt:8} {t_out:9.2f} {t_in:9.2f} {len(part) / t_in:22.0f}")
        courses = sorted(p.parent for p in (REPO / "courses").glob("*/course.yml"))
        loaded, t_load = timed(lambda: [load_course(c) for c in courses])
        _, t_build = timed(lambda: [build_course(c, Path(tmp) / "source") for c in loaded])
        n_lessons = sum(len(c.lessons) for c in loaded)
        print(f"validate {len(courses)} shipped courses: {t_load:.2f} s; build {n_lessons} notebooks: {t_build:.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
