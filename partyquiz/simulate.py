"""A simulated cohort: a roster in branches and learners who answer through the answer store.

Used by `make demo`, the tests and the benchmarks. Each learner has an ability in [0, 1]; per
question they answer right with that probability, otherwise pick a plausible wrong answer,
and sometimes leave a question blank. Deterministic from the seed.
"""
from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

from .answers import AnswerStore
from .draw import drawn_questions, seed_for
from .model import Learner, Question, QuizKey

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱覃武戴孔汤庞樊兰殷施陶洪翟安颜倪严牛温芦季俞章鲁葛伍申尤毕聂柴焦向柳邢岳齐沿梅莫庄辛管祝左涂谷祁时舒耿牟卜路詹关苗凌费纪靳盛童欧甄项曲成游阳裴席卫查屈鲍位覃霍翁隋植甘景薄单包司柏宁柯阮桂闵解强柴华车冉房边"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建国红梅志文斌宇浩凯晨欣怡子涵宏亮海燕春雪晓东永庆俊峰婷颖雅琴丹佳慧"
BRANCH_NAMES = ["机关第一党支部", "机关第二党支部", "生产一线党支部", "离退休党支部", "青年党支部", "技术研发党支部", "后勤服务党支部", "销售党支部"]
# one cycle of ten people: every kind of learner the hour rules treat differently appears in a
# roster of ten or more (a branch secretary, cadres of several ranks, a new member, a candidate)
CYCLE = ["书记和班子成员", "党员", "干部", "党员", "预备党员", "发展对象", "干部", "党员", "入党积极分子", "干部"]
# 职级 (职务与职级并行) with a matching post, from 科员 to 厅局级 equivalents
CADRE_RANKS = [("四级主任科员", "科员"), ("二级调研员", "副处长"), ("一级主任科员", "科长"), ("三级调研员", "副处长"),
               ("二级科员", "科员"), ("一级巡视员", "副局长"), ("二级主任科员", "副科长"), ("一级调研员", "处长")]
POSITIONS = {"书记和班子成员": ["支部书记", "支部副书记", "组织委员", "宣传委员"], "发展对象": ["职员", "技术员"],
             "入党积极分子": ["职员", "技术员"]}
REGIONS = ["110101", "110105", "310104", "440106", "510107", "530102", "410102"]


def simulated_id_number(rng: random.Random) -> str:
    """A made-up ID number that passes the GB 11643 check (region, birth date, sequence, check)."""
    from .records.idnumbers import id_check_character

    born = f"{rng.randint(1962, 2002)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    first17 = f"{rng.choice(REGIONS)}{born}{rng.randint(0, 999):03d}"
    return first17 + id_check_character(first17)


def joined_on(category: str, rng: random.Random, year: int = 2026) -> dt.date | None:
    """A 入党日期 that fits the category: a 预备党员 joined within the year before `year` (so the
    probation year reaches into it), other members years ago; candidates have none."""
    if category == "预备党员":
        return dt.date(year - 1, rng.randint(7, 12), rng.randint(1, 28))
    if category in ("党员", "书记和班子成员", "干部"):
        return dt.date(rng.randint(1985, year - 2), rng.randint(1, 12), rng.randint(1, 28))
    return None


def make_roster(n: int, branches: int = 3, seed: int = 2026) -> list[Learner]:
    rng = random.Random(seed)
    joined = random.Random(seed + 1)  # its own stream: names and ID numbers stay as they were
    names = BRANCH_NAMES[:branches] if branches <= len(BRANCH_NAMES) else [f"第{i + 1}党支部" for i in range(branches)]
    roster = []
    cadres = 0
    for i in range(n):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        category = CYCLE[i % len(CYCLE)]
        rank = ""
        if category == "干部":
            rank, position = CADRE_RANKS[cadres % len(CADRE_RANKS)]
            cadres += 1
        else:
            position = rng.choice(POSITIONS.get(category, ["职员", "科员", "工程师", "技术员"]))
        roster.append(
            Learner(
                id=f"u{i + 1:04d}",
                name=name,
                branch=names[i % branches],
                unit="示例单位",
                position=position,
                category=category,
                rank=rank,
                id_number=simulated_id_number(rng),
                joined_on=joined_on(category, joined),
            )
        )
    return roster


def wrong_answer(question: Question, rng: random.Random) -> Any:
    """A plausible answer short of full points, from the question's kind."""
    return question.kind.wrong_answer(question, rng)


def right_answer(question: Question) -> Any:
    """An answer worth full points (an essay: a plausible text), from the question's kind."""
    return question.kind.right_answer(question)


def simulated_answers(key: QuizKey, learner_id: str, ability: float, rng: random.Random, blank_rate: float = 0.05) -> dict[str, Any]:
    seed = seed_for(key.course_id, key.assignment, learner_id, key.quiz.id)
    answers = {}
    for qid in drawn_questions(key.quiz, seed):
        if rng.random() < blank_rate:
            continue
        question = key.questions[qid]
        if not question.kind.answerable:
            continue  # a description asks nothing
        answers[qid] = right_answer(question) if rng.random() < ability else wrong_answer(question, rng)
    return answers


def answer_as_learner(folder: Path, key: QuizKey, learner_id: str, values: dict[str, Any]) -> None:
    """Write answers exactly as the widget would: through the answer store."""
    store = AnswerStore(folder, key.notebook, meta={"learner": learner_id, "assignment": key.assignment})
    for qid, value in values.items():
        store.save(qid, value)
