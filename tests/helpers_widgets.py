"""Helpers for the widget tests and benchmark: a course holding every question type."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat

from partyquiz.build import build_course
from partyquiz.model import Course, Lesson, MatchPair, Option, Question, Quiz, Section

LEARNER = "u0001"


def every_type_questions() -> list[Question]:
    return [
        Question(id="q-single", type="single", stem="支部党员大会**一般多久**召开一次？",
                 options=[Option(id="month", text="每月一次"), Option(id="quarter", text="每季度一次", correct=True),
                          Option(id="year", text="每年一次")],
                 explanation="支部党员大会每季度召开一次。"),
        Question(id="q-multiple", type="multiple", stem="党内激励机制包括哪几种激励？",
                 options=[Option(id="zhengzhi", text="政治激励", correct=True), Option(id="jingshen", text="精神激励", correct=True),
                          Option(id="chengfa", text="惩罚激励")],
                 explanation="政治激励、精神激励和物质激励。"),
        Question(id="q-tf", type="truefalse", stem="“三会一课”是最基本的党内组织生活制度。", answer=True,
                 explanation="材料原文如此。"),
        Question(id="q-fill", type="fill", stem="支委会和党小组会一般每 ____ 召开一次，党课每 ____ 进行一次。",
                 blanks=[["月", "个月"], ["半年", "六个月"]], explanation="每月；每半年。"),
        Question(id="q-num", type="numeric", stem="党员每年集中学习培训不少于多少学时？", value=32, tolerance=0,
                 explanation="不少于 32 学时。"),
        Question(id="q-match", type="matching", stem="将会议与召开频次对应起来。",
                 pairs=[MatchPair(id="dahui", left="支部党员大会", right="每季度"), MatchPair(id="zhiwei", left="支委会", right="每月")],
                 distractors=["每年"], explanation="大会每季度，支委会每月。"),
        Question(id="q-essay", type="essay", stem="结合工作实际，谈谈你对“三会一课”的认识。", points=10,
                 explanation="言之有理即可。"),
    ]


def every_type_course(mode: str = "graded", time_limit: float | None = None, extra: int = 0) -> Course:
    """One lesson `l1` whose quiz holds every type (plus `extra` single-choice questions)."""
    questions = every_type_questions()
    for i in range(extra):
        questions.append(Question(id=f"q-extra-{i:03d}", type="single", stem=f"第 {i + 1} 道补充题：党支部每月至少组织几次集体学习？",
                                  options=[Option(id="one", text="一次", correct=True), Option(id="two", text="两次"),
                                           Option(id="four", text="四次"), Option(id="none", text="不作要求")]))
    quiz = Quiz(id="quiz1", title="随堂测验", mode=mode, rule="strict", time_limit_minutes=time_limit,
                sections=[Section(pool=[q.id for q in questions])])
    lesson = Lesson(id="l1", title="三会一课", file="lessons/l1.md", hours=2, quiz=quiz)
    course = Course(id="demo", title="党员教育示例课程", year=2026, lessons=[lesson])
    course.questions = {q.id: q for q in questions}
    course.lesson_text = {"l1": "# 三会一课\n\n“三会一课”是党的组织生活的基本制度。\n"}
    return course


def build_lesson(folder: Path, course: Course, release: bool = True) -> Path:
    """Build the course into `folder`; return the assignment folder holding l1.ipynb.

    With `release`, graded cells (the hidden test cell) are dropped, as nbgrader's release does
    to the hidden part: a learner's notebook runs only the lesson and the quiz widget.
    """
    built = build_course(course, folder)[0]
    if release:
        nb = nbformat.read(built.notebook, as_version=4)
        nb.cells = [c for c in nb.cells if not (c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade"))]
        nbformat.write(nb, built.notebook)
    return built.folder


def stored_answers(folder: Path, notebook: str = "l1") -> dict:
    path = folder / f"{notebook}.answers.json"
    return json.loads(path.read_text(encoding="utf-8"))["answers"] if path.exists() else {}
