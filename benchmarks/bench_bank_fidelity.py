"""Pass rate of the bank importers on our fixture corpus (issue 14's table, on our own fixtures).

Every question of every fixture has an expectation: either the fields it must import with, or
"reported" (Moodle refuses it / we cannot hold it: a problem must name its line). Each
question is counted once as
  imported correctly  – imported, every expected field equal;
  reported            – expected refused and a problem names its line;
  wrong, no warning   – imported but a field differs, or imported although it should be refused,
                        or refused although it should import (no problem for that line is wrong too);
  crash               – the reader raised.

Run: .venv/bin/python benchmarks/bench_bank_fidelity.py [-v]
"""
from __future__ import annotations

import sys
from pathlib import Path

from partyquiz.banks import parse_bank
from partyquiz.banks.common import WILDCARD_RANGE
from partyquiz.scoring import score_question

FIX = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "banks"
R = "reported"


def opts(q):
    return [(o.text, o.correct, o.fraction, o.feedback) for o in q.options]


def alts(q):
    return [(a, 1.0, "") if isinstance(a, str) else (a.text, a.fraction, a.feedback) for a in q.blanks[0]]


# fixture → {question id or ("line", n): expected fields (callables get the question) or R}
EXPECTED = {
    "gift-fidelity.gift": {
        "g-path": {"type": "single", "options": lambda q: [o.text for o in q.options] == ["C:\\temp\\党课", "D:\\备份", "E:\\"]},
        "g-arrow": {"type": "single", "options": lambda q: q.options[0].text == "申请 -> 考察 -> 发展"},
        "g-one": {"type": "fill", "blanks": [["共产主义"]]},
        "g-tagged": {"stem": "支部党员大会多久召开一次？", "tags": ["三会一课", "必学"], "title": "支部大会频次"},
        "g-formats": {"stem": "下列哪项<strong>正确</strong>？", "options": lambda q: [o.text for o in q.options] == ["\\<b\\>不是标签\\</b\\>", "**加粗**选项", "[abc] 未知标记保留"] and q.options[0].feedback == "<em>斜体</em>反馈"},
        "g-tf-both": {"answer": False, "feedback_true": "错了：党课每半年一次。", "feedback_false": "对，党课每半年一次。", "explanation": "见《条例》。"},
        "g-tf-right-only": {"answer": True, "feedback_true": "正确。", "feedback_false": ""},
        "g-sa-feedback": {"blanks": lambda q: alts(q) == [("入党日", 1.0, "完全正确"), ("入党那天", 0.5, "意思对"), ("生日", 0.0, "不是生日")]},
        "g-num-multi": {"numeric_answers": lambda q: [(a.value, a.tolerance, a.fraction) for a in q.numeric_answers[:2]] == [(3.14159, 0.00001, 1.0), (3.14, 0.01, 0.5)] and tuple(q.numeric_answers[2].range) == WILDCARD_RANGE},
        "g-num-range": {"range": (3.141, 3.142)},
        "g-weights-ok": {"options": lambda q: [o.fraction for o in q.options] == [0.3333333] * 3 + [-1.0]},
        "g-weights-moodle-rounding": {"type": "multiple"},
        "g-missing-word": {"stem": "党员是党的 _____ 和血液。", "blanks": lambda q: alts(q) == [("细胞", 1.0, "对")]},
        "g-description": {"type": "description", "points": 0.0},
        "g-escapes": {"stem": "比例 1:1、等号 = 与波浪号 ~、井号 # 和花括号 { }、换行\n第二行", "blanks": [["a=b"]]},
        "g-essay": {"type": "essay", "explanation": "要点：按时、内容、实效。"},
        "g-match": {"pairs": lambda q: [(p.left, p.right) for p in q.pairs] == [("支部党员大会", "每季度一次"), ("支委会", "每月一次")], "distractors": ["每年一次"]},
    },
    "gift-refused.gift": {("line", n): R for n in (3, 5, 7, 9, 11, 13, 15)},
    "moodle-style.gift": {
        "Q-single": {"stem": "支部党员大会多久召开一次？", "options": lambda q: q.correct_ids == ["b"] and q.options[0].feedback.startswith("支委会")},
        "Q-multi": {"options": lambda q: [o.fraction for o in q.options] == [0.25] * 4 + [-1.0]},
        "Q-tf-true": {"answer": True}, "Q-tf-false": {"answer": False, "feedback_true": "不对，每半年一次。"},
        "Q-short": {"blanks": [["入党日", "入党的日子"]]}, "Q-missing": {"blanks": [["细胞"]]},
        "Q-num-tol": {"value": 99.1, "tolerance": 0.05}, "Q-num-range": {"range": (140.0, 160.0)},
        "Q-match": {"distractors": ["每年一次"]}, "Q-essay": {"type": "essay"},
        "Q-escape": {"stem": "比例 1:1、符号 = ~ # 与花括号 { } 都要转义。", "blanks": lambda q: alts(q) == [("a=b", 1.0, "反馈里也能 # 转义")]},
        "Q-description": {"type": "description"},
    },
    "moodle-fidelity.xml": {
        "x-flag": {"stem": lambda q: q.stem.startswith('下图是什么？<img src="media/') and "script" not in q.stem, "tags": ["图片", "党史"],
                   "options": lambda q: q.options[0].text.startswith('<img src="media/') and q.options[1].text == "\\<b\\>不是标签\\</b\\>"},
        "x-tf": {"answer": False, "feedback_true": "错：党课每半年一次。", "feedback_false": "对。"},
        "x-sa": {"blanks": lambda q: alts(q) == [("入党日", 1.0, "完全正确。"), ("入党那天", 0.5, "意思对。")]},
        "x-num": {"numeric_answers": lambda q: len(q.numeric_answers) == 3 and q.numeric_answers[1].fraction == 0.5},
        "moodle-fidelity-006": {"type": "description", "title": "说明"},
        "x-cloze": {"type": "cloze", "points": 7.0, "parts": lambda q: [p.kind for p in q.parts] == ["shortanswer", "multichoice", "numerical", "multichoice", "shortanswer", "multichoice"]},
        ("line", 65): R, "x-sum-ok": {"type": "multiple"}, ("line", 85): R,
        "x-essay": {"type": "essay", "points": 10.0}, ("line", 100): R,
    },
    "moodle-export.xml": {
        "moodle-export-002": {"stem": "支部党员大会<strong>多久</strong>召开一次？", "options": lambda q: q.correct_ids == ["b"]},
        "mc-weights": {"options": lambda q: [o.fraction for o in q.options] == [0.3333333] * 3 + [-1.0]},
        "tf": {"answer": False}, "sa": {"blanks": [["入党日", "入党的日子"]]}, "num": {"value": 99.1, "tolerance": 0.05},
        "essay": {"points": 10.0}, "match": {"distractors": ["每年一次"]},
        ("line", 81): R, ("line", 86): R,
    },
    "errors.gift": {("line", n): R for n in (1, 3, 5, 7, 17)} | {"ok": {"answer": True}, "errors-006": {"answer": False, "title": "ok"}, "dup": {"answer": True}},
    "gift-moodle-rules.gift": {
        "g-wild": {"blanks": lambda q: alts(q) == [("递交入党申请书", 1.0, "对，先递交申请书。"), ("*申请*", 0.5, "方向对，请说完整。"), ("*", 0.0, "再想想：第一步是递交入党申请书。")]
                   and score_question(q, ["参加党课"], "partial") == 0 and score_question(q, ["写入党申请"], "partial") == 0.5},
        "g-br": {"stem": "支部委员会每月召开一次。", "options": lambda q: [(o.text, o.feedback) for o in q.options] == [("正确", "对"), ("错误", "")]},
        "g-file": {"stem": "下图是党徽。党徽"},
        "g-any-one": {"type": "single", "options": lambda q: q.correct_ids == ["a", "b", "c"] and score_question(q, ["b"], "strict") == 1},
        "g-same": {"answer": True}, "gift-moodle-rules-006": {"answer": False, "title": "g-same"},
        ("line", 28): R, ("line", 31): R, ("line", 34): R,
        "g-escaped": {"tags": ["二十大]精神", "学习"], "title": "转义的标签"},
        "g-markdown": {"stem": "党员的权利  \n- 参加党的有关会议\n    - 阅读党的有关文件\n- 参加党的讨论"},
        "g-pre": {"stem": '下面的程序输出什么？\n\n```\ndef 党课():\n    print("每半年一次")\n```'},
        "g-comment": {"type": "truefalse", "answer": False, "stem": "党课每季度一次。"},
    },
    "moodle-rules.xml": {
        ("line", 10): R, ("line", 17): R, ("line", 101): R, ("line", 106): R, ("line", 108): R,
        "x-cloze": {"type": "cloze", "points": 3.0, "explanation": "见党章。",
                    "parts": lambda q: q.parts[0].alternatives[1].text == "*" and [o.feedback for o in q.parts[1].options] == ["对", "不对"]},
        "x-match": {"type": "matching"},
        "x-wild": {"blanks": lambda q: alts(q) == [("党课", 1.0, "对。"), ("*", 0.0, "是党课。")]},
        "x-link": {"stem": lambda q: q.stem.startswith('先阅读<a href="media/') and "@@PLUGINFILE@@" not in q.stem},
        "x-old-image": {"stem": lambda q: q.stem.startswith('下图是什么？ <img src="media/')},
        "x-old-image-missing": {"type": "description"},
        "x-any-one": {"options": lambda q: [o.text for o in q.options] == ["个人服从组织", "少数服从多数", "下级服从同级"] and q.correct_ids == ["a", "b"]},
        "x-same": {"answer": True}, "moodle-rules-012": {"answer": False, "title": "x-same"},
        "x-essay": {"reference": "要点：按时、内容、实效，各 3 分；联系实际 1 分。", "explanation": ""},
    },
    "errors-moodle.xml": {("line", 3): R, ("line", 10): R, ("line", 18): R},
}


def _matches(q, expected: dict) -> list[str]:
    wrong = []
    for field, want in expected.items():
        got = getattr(q, field, None)
        ok = want(q) if callable(want) else (got == want or (isinstance(got, tuple) and tuple(want) == got))
        if not ok:
            wrong.append(field)
    return wrong


def run(verbose: bool = False) -> dict[str, int]:
    counts = {"imported correctly": 0, "reported": 0, "wrong, no warning": 0, "crash": 0}
    for name, expectations in EXPECTED.items():
        try:
            result = parse_bank(FIX / name)
        except Exception as exc:  # noqa: BLE001 - a crash is what we count
            counts["crash"] += len(expectations)
            print(f"CRASH {name}: {exc!r}")
            continue
        by_id = {q.id: q for q in result.questions}
        problem_lines = {p.line for p in result.problems}
        for key, expected in expectations.items():
            if expected == R:
                line = key[1]
                imported_there = any(result.lines.get(q) == line for q in by_id)
                outcome = "reported" if line in problem_lines and not imported_there else "wrong, no warning"
            elif key not in by_id:
                outcome = "wrong, no warning"
                if verbose:
                    print(f"  {name} {key}: not imported ({[p.message for p in result.problems if p.line == result.lines.get(key)]})")
            else:
                wrong = _matches(by_id[key], expected)
                outcome = "imported correctly" if not wrong else "wrong, no warning"
                if wrong and verbose:
                    print(f"  {name} {key}: differs in {wrong}")
            counts[outcome] += 1
    return counts


def main() -> None:
    counts = run("-v" in sys.argv)
    total = sum(counts.values())
    print(f"{total} questions in {len(EXPECTED)} fixtures")
    for outcome, n in counts.items():
        print(f"{outcome:20} {n:4d}  {100 * n / total:5.1f} %")
    handled = counts["imported correctly"] + counts["reported"]
    print(f"{'as expected':20} {handled:4d}  {100 * handled / total:5.1f} %  (imported correctly, or refused where Moodle refuses)")


if __name__ == "__main__":
    main()
