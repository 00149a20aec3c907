"""Helpers for the records, exports and report tests: a tiny course, roster and gradebook."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from partyquiz.model import Course, Learner, Lesson
from bulk_gradebook import Sub, build_gradebook

COURSE = Course(
    id="c1", title="党章学习", organiser="机关党委", institution="党校", form="在线", year=2026, pass_mark=60,
    # expected study time = the hours (1 hour = 1 学时), so a passed lesson earns its full hours
    lessons=[Lesson(id="l1", title="总纲", file="l1.md", hours=2, minutes=120),
             Lesson(id="l2", title="党员", file="l2.md", hours=1, minutes=60)],
)

ROSTER = [
    Learner(id="a01", name="张三", branch="一支部", unit="办公室", position="科员", category="党员", id_number="110101199001011237"),
    Learner(id="a02", name="李四", branch="一支部", unit="办公室", position="主任", category="书记和班子成员"),
    Learner(id="a03", name="欧阳娜", branch="二支部", unit="财务处", position="科员", category="发展对象"),
    Learner(id="a04", name="王五", branch="二支部", unit="财务处", position="处长", category="干部", rank="县处级正职"),
]

WHEN = dt.datetime(2026, 3, 2, 1, 30)  # UTC; 09:30 in Beijing


_EMPTY: list[Path] = []


def empty_gradebook(path: Path) -> str:
    """A fresh nbgrader gradebook: created by nbgrader once per test run (≈3.4 s), then copied."""
    import shutil
    import tempfile

    from nbgrader.api import Gradebook

    if not _EMPTY:
        template = Path(tempfile.mkdtemp(prefix="pq-records-")) / "empty.db"
        Gradebook(sqlite_url(template)).close()
        _EMPTY.append(template)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_EMPTY[0], path)
    return sqlite_url(path)


def small_gradebook(url: str, scores: dict[tuple[str, str], float] | None = None, *, essay: dict[str, float | None] | None = None) -> None:
    """c1-l1 (quiz of 10, optional essay of 10) and c1-l2 (quiz of 10)."""
    scores = scores if scores is not None else {
        ("a01", "c1-l1"): 9, ("a01", "c1-l2"): 7, ("a02", "c1-l1"): 5, ("a03", "c1-l1"): 10, ("a03", "c1-l2"): 6,
    }
    essays = {"c1-l1": 10.0} if essay is not None else None
    subs = [Sub(student=s, assignment=a, auto=float(v), timestamp=WHEN, essay=(essay or {}).get(s) if a == "c1-l1" else None)
            for (s, a), v in scores.items()]
    build_gradebook(url, {"c1-l1": 10.0, "c1-l2": 10.0}, subs, essays=essays)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


# the header rows of the exports as the training office reads them (exports/views.py,
# records/activity_exports.py); the workbench tests check every downloaded file against them
EXPORT_HEADERS = {
    "年度学时汇总": ["工号", "姓名", "支部", "人员类别", "职级", "年度", "要求类别", "统计区间", "要求学时", "计入要求学时", "差额", "状态", "说明", "本年度学时"],
    "支部汇总": ["支部", "年度", "课程（班次）", "在册人数", "其中党员", "已参学人数", "全部合格人数", "完成率（%）", "平均成绩", "学时合计", "学时未达标人数"],
    "活动台账": ["编号", "日期", "结束日期", "支部", "活动类型", "名称", "组织者", "形式", "时长（天）", "时长（小时）", "学时", "出席", "请假", "缺席", "来源"],
    "出勤明细": ["日期", "支部", "活动类型", "名称", "工号", "姓名", "出勤", "学时", "备注"],
    "三会一课": ["支部", "会议", "期间", "应开次数", "已开次数", "状态"],
    "出勤率": ["工号", "姓名", "支部", "党内职务", "应出席", "出席", "请假", "缺席", "出勤率"],
    "量化考评": ["工号", "姓名", "支部", "年度", "出勤率", "测验成绩", "阶段测试", "学时完成率", "集体学习", "综合得分", "等次", "学风", "纪律", "评语"],
    "积分": ["工号", "姓名", "支部", "积分"],
}
