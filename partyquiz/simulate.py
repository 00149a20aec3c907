"""A simulated cohort: a roster in branches and learners who answer through the answer store.

Used by `make demo`, the tests and the benchmarks. Each learner has an ability in [0, 1]; per
question they answer right with that probability, otherwise pick a plausible wrong answer,
and sometimes leave a question blank. Deterministic from the seed.
"""
from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from .answers import AnswerStore
from .draw import drawn_questions, seed_for
from .model import Learner, Question, QuizKey

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱覃武戴孔汤庞樊兰殷施陶洪翟安颜倪严牛温芦季俞章鲁葛伍申尤毕聂柴焦向柳邢岳齐沿梅莫庄辛管祝左涂谷祁时舒耿牟卜路詹关苗凌费纪靳盛童欧甄项曲成游阳裴席卫查屈鲍位覃霍翁隋植甘景薄单包司柏宁柯阮桂闵解强柴华车冉房边"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建国红梅志文斌宇浩凯晨欣怡子涵宏亮海燕春雪晓东永庆俊峰婷颖雅琴丹佳慧"
BRANCH_NAMES = ["机关第一党支部", "机关第二党支部", "生产一线党支部", "离退休党支部", "青年党支部", "技术研发党支部", "后勤服务党支部", "销售党支部"]
CATEGORIES = ["党员"] * 7 + ["预备党员", "书记和班子成员", "发展对象"]


def make_roster(n: int, branches: int = 3, seed: int = 2026) -> list[Learner]:
    rng = random.Random(seed)
    names = BRANCH_NAMES[:branches] if branches <= len(BRANCH_NAMES) else [f"第{i + 1}党支部" for i in range(branches)]
    roster = []
    for i in range(n):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        roster.append(
            Learner(
                id=f"u{i + 1:04d}",
                name=name,
                branch=names[i % branches],
                unit="示例单位",
                position=rng.choice(["职员", "科员", "工程师", "技术员", "主任科员"]),
                category=rng.choice(CATEGORIES),
                id_number=f"110101{rng.randint(1960, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 9999):04d}",
            )
        )
    return roster


def wrong_answer(question: Question, rng: random.Random) -> Any:
    if question.type in ("single", "multiple"):
        wrong = [o.id for o in question.options if not o.correct]
        right = question.correct_ids
        if question.type == "single":
            return [rng.choice(wrong)]
        # a typical partial pick: some right ones, maybe one wrong one
        picked = rng.sample(right, k=max(1, len(right) - 1))
        if wrong and rng.random() < 0.5:
            picked.append(rng.choice(wrong))
        return picked
    if question.type == "truefalse":
        return not question.answer
    if question.type == "fill":
        return ["不知道"] * len(question.blanks)
    if question.type == "numeric":
        return (question.value or 0) + 1000
    return ""


def right_answer(question: Question) -> Any:
    if question.type in ("single", "multiple"):
        return question.correct_ids
    if question.type == "truefalse":
        return question.answer
    if question.type == "fill":
        return [alts[0] for alts in question.blanks]
    if question.type == "numeric":
        return question.value if question.value is not None else question.range[0]
    return "通过学习，我认识到党员教育管理是党的建设中最经常最基础的工作。"


def simulated_answers(key: QuizKey, learner_id: str, ability: float, rng: random.Random, blank_rate: float = 0.05) -> dict[str, Any]:
    seed = seed_for(key.course_id, key.assignment, learner_id, key.quiz.id)
    answers = {}
    for qid in drawn_questions(key.quiz, seed):
        if rng.random() < blank_rate:
            continue
        question = key.questions[qid]
        answers[qid] = right_answer(question) if rng.random() < ability else wrong_answer(question, rng)
    return answers


def answer_as_learner(folder: Path, key: QuizKey, learner_id: str, values: dict[str, Any]) -> None:
    """Write answers exactly as the widget would: through the answer store."""
    store = AnswerStore(folder, key.notebook, meta={"learner": learner_id, "assignment": key.assignment})
    for qid, value in values.items():
        store.save(qid, value)
