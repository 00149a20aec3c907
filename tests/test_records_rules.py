"""The rules file: the shipped numbers, the cadre rank ladder, how online lessons are credited,
which training forms count, the parts a requirement includes, the year-end split and the two
ways of counting five years. Every expectation below is worked out by hand from the rules file."""
from __future__ import annotations

import datetime as dt

import pytest

from partyquiz.errors import InputError
from partyquiz.model import Learner, Lesson
from partyquiz.records.rules import DEFAULT_RULES, Earned, load_rules


@pytest.fixture
def rules():
    return load_rules(DEFAULT_RULES)


def test_shipped_requirements(rules):
    need = {name: (r.hours, r.period_years, r.once) for name, r in rules.requirements.items()}
    assert need["党员"] == (32, 1, False) and need["书记和班子成员"] == (56, 1, False)
    assert need["乡科级及以下干部"] == (90, 1, False) and need["县处级及以上干部"] == (550, 5, False)
    assert need["发展对象"][0] == 24 and need["发展对象"][2] is True
    # the invented "预备党员: 32" is gone: a new member needs one concentrated training
    assert need["预备党员"][0] == 0 and rules.requirements["预备党员"].includes[0].times == 1
    # every number carries its source
    assert all(r.source for r in rules.requirements.values())
    # online self-study counts toward neither the members' 32 nor the candidates' 24
    assert "在线自学" not in rules.requirements["党员"].counts and rules.requirements["发展对象"].counts == ("集中培训",)


RUNGS = [
    # 职级 (职务与职级并行) and leadership posts → the requirement they fall under
    ("一级巡视员", "厅局级", "县处级及以上干部"), ("二级巡视员", "厅局级", "县处级及以上干部"),
    ("一级调研员", "县处级", "县处级及以上干部"), ("二级调研员", "县处级", "县处级及以上干部"),
    ("三级调研员", "县处级", "县处级及以上干部"), ("四级调研员", "县处级", "县处级及以上干部"),
    ("一级主任科员", "乡科级", "乡科级及以下干部"), ("二级主任科员", "乡科级", "乡科级及以下干部"),
    ("三级主任科员", "乡科级", "乡科级及以下干部"), ("四级主任科员", "乡科级", "乡科级及以下干部"),
    ("一级科员", "科员级", "乡科级及以下干部"), ("二级科员", "科员级", "乡科级及以下干部"),
    ("省部级正职", "省部级", "县处级及以上干部"), ("省部级副职", "省部级", "县处级及以上干部"),
    ("厅局级正职", "厅局级", "县处级及以上干部"), ("厅局级副职", "厅局级", "县处级及以上干部"),
    ("县处级正职", "县处级", "县处级及以上干部"), ("县处级副职", "县处级", "县处级及以上干部"),
    ("乡科级正职", "乡科级", "乡科级及以下干部"), ("乡科级副职", "乡科级", "乡科级及以下干部"),
    ("正处级", "县处级", "县处级及以上干部"), ("副科级", "乡科级", "乡科级及以下干部"),
]


@pytest.mark.parametrize("rank, level, requirement", RUNGS)
def test_each_rung_of_the_rank_ladder(rules, rank, level, requirement):
    cadre = Learner(id="x", name="甲", category="干部", rank=rank)
    assert rules.rank_level(rank) == level
    req = rules.requirement_for(cadre)
    assert req.name == requirement
    # 二级调研员 is 550 in five years, not 90 a year
    assert (req.hours, req.period_years) == ((550, 5) if requirement == "县处级及以上干部" else (90, 1))


def test_a_blank_or_unknown_rank_is_the_default_and_is_said(rules):
    assert rules.requirement_for(Learner(id="x", name="甲", category="干部")).name == "乡科级及以下干部"
    s = rules.assess(Learner(id="x", name="甲", category="干部", rank="总工"), 2026, Earned())
    assert "职级“总工”未识别" in s["missing"]


LESSON_45 = Lesson(id="l", title="t", file="f", hours=2, minutes=45)  # a 45-minute lesson marked 2 学时


def test_per_hour_credits_study_time_never_above_the_lessons_hours(rules):
    assert rules.method == "per_hour"  # the shipped rule: 1 hour = 1 学时
    assert rules.lesson_hours(LESSON_45, True, form="在线", studied_minutes=45) == 0.75  # not 2
    assert rules.lesson_hours(LESSON_45, True, form="在线", studied_minutes=50) == 0.75  # 0.833 down to the 0.25 step
    assert rules.lesson_hours(LESSON_45, True, form="在线", studied_minutes=300) == 2.0  # capped at the lesson's hours
    assert rules.lesson_hours(LESSON_45, False, form="在线", studied_minutes=45) == 0.0  # failed: nothing
    # no study time recorded: the lesson's expected 45 minutes; or nothing when the file says so
    assert rules.lesson_hours(LESSON_45, True, form="在线") == 0.75
    rules.missing_study_time = "none"
    assert rules.lesson_hours(LESSON_45, True, form="在线") == 0.0


def test_offline_forms_earn_the_lessons_hours(rules):
    assert rules.lesson_hours(LESSON_45, True, form="脱产", studied_minutes=5) == 2.0
    assert rules.lesson_hours(LESSON_45, False, form="脱产") == 0.0


def test_yunnan_tiers(rules):
    rules.method = "tiers"
    got = [rules.lesson_hours(LESSON_45, True, form="在线", studied_minutes=m) for m in (45, 30, 20, 10)]
    assert got == [1.5, 1.5, 1.0, 0.75]  # ≥30 = 1, 15–30 = 0.5, ≤15 = 0.25, +0.5 for passing
    one_hour = Lesson(id="l", title="t", file="f", hours=1, minutes=60)
    assert rules.lesson_hours(one_hour, True, form="在线", studied_minutes=60) == 1.0  # 1.5 capped at 1
    rules.require_pass = False
    assert rules.lesson_hours(LESSON_45, False, form="在线", studied_minutes=10) == 0.25  # no bonus when failed


def test_zhengzhou_progress_100_percent(rules):
    rules.method = "progress"
    assert rules.lesson_hours(LESSON_45, True, form="在线", studied_minutes=44) == 0.0
    assert rules.lesson_hours(LESSON_45, True, form="在线", studied_minutes=45) == 2.0


def _earned(*items: tuple[int, str, float, str]) -> Earned:
    e = Earned()
    for year, kind, hours, training in items:
        e.add(year, kind, hours, training)
    return e


def test_members_32_counts_concentrated_training_and_collective_study_only(rules):
    member = Learner(id="m", name="甲", category="党员")
    s = rules.assess(member, 2026, _earned((2026, "在线自学", 30, "c1"), (2026, "集中培训", 10, "c2"), (2026, "集体学习", 12, "c3")))
    assert (s["required"], s["earned"], s["shortfall"], s["status"]) == (32, 22, 10, "未达标")  # the 30 online hours do not count
    s = rules.assess(member, 2026, _earned((2026, "集中培训", 20, "c2"), (2026, "集体学习", 12, "c3")))
    assert (s["earned"], s["status"]) == (32, "达标")


def test_candidates_24_is_concentrated_training_once(rules):
    candidate = Learner(id="d", name="乙", category="发展对象")
    s = rules.assess(candidate, 2026, _earned((2026, "在线自学", 30, "c1")))
    assert (s["earned"], s["status"], s["window"]) == (0, "未达标", "截至2026")
    s = rules.assess(candidate, 2026, _earned((2025, "集中培训", 24, "c2")))  # met last year: met for good
    assert s["status"] == "达标"


def test_secretaries_need_one_concentrated_training_within_their_56(rules):
    secretary = Learner(id="s", name="丙", category="书记和班子成员")
    s = rules.assess(secretary, 2026, _earned((2026, "在线自学", 60, "c1")))
    assert (s["earned"], s["shortfall"], s["status"], s["missing"]) == (60, 0, "未达标", "集中培训0/1次")
    s = rules.assess(secretary, 2026, _earned((2026, "在线自学", 50, "c1"), (2026, "集中培训", 8, "c2")))
    assert (s["earned"], s["status"], s["missing"]) == (58, "达标", "")


def test_new_members_need_one_concentrated_training_during_probation(rules):
    new = Learner(id="n", name="丁", category="预备党员")  # no 入党日期: every 集中培训 counts, and 说明 says so
    s = rules.assess(new, 2026, _earned((2026, "在线自学", 40, "c1")))
    assert (s["status"], s["missing"]) == ("未达标", "集中培训0/1次；未填入党日期，按全部集中培训计")
    s = rules.assess(new, 2026, _earned((2025, "集中培训", 4, "c2")))
    assert s["status"] == "达标"


def test_cadres_online_self_study_at_least_50_a_year(rules):
    cadre = Learner(id="g", name="戊", category="干部", rank="一级主任科员")
    s = rules.assess(cadre, 2026, _earned((2026, "集中培训", 95, "c2")))
    assert (s["earned"], s["shortfall"], s["status"], s["missing"]) == (95, 0, "未达标", "网络自学0/50学时")
    s = rules.assess(cadre, 2026, _earned((2026, "集中培训", 40, "c2"), (2026, "在线自学", 50, "c1")))
    assert (s["earned"], s["status"]) == (90, "达标")


def test_county_550_rolling_five_years_or_per_plan_period(rules):
    cadre = Learner(id="g", name="己", category="干部", rank="二级调研员")
    earned = _earned((2021, "集中培训", 100, "a"), (2022, "集中培训", 200, "b"), (2023, "集中培训", 150, "c"),
                     (2026, "集中培训", 100, "d"), (2026, "在线自学", 50, "e"))
    rolling = rules.assess(cadre, 2026, earned)  # 2022–2026: 200 + 150 + 100 + 50
    assert (rolling["window"], rolling["earned"], rolling["shortfall"]) == ("2022—2026", 500, 50)
    plan = rules.requirements["县处级及以上干部"].__class__(**{**rules.requirements["县处级及以上干部"].__dict__, "window": "plan"})
    rules.requirements["县处级及以上干部"] = plan
    in_plan = rules.assess(cadre, 2026, earned)  # the 2023–2027 plan so far: 150 + 100 + 50
    assert (in_plan["window"], in_plan["earned"], in_plan["shortfall"]) == ("2023—2027（截至2026）", 300, 250)
    assert rules.window_of(plan, 2028)[:2] == (2028, 2028) and rules.window_of(plan, 2028)[2].startswith("2028—2032")


def test_plan_window_from_the_file(tmp_path):
    text = DEFAULT_RULES.read_text(encoding="utf-8").replace("window: rolling", "window: plan")
    path = tmp_path / "rules.yml"
    path.write_text(text, encoding="utf-8")
    assert load_rules(path).requirements["县处级及以上干部"].window == "plan"


def test_training_across_the_year_end_is_split(rules):
    # 2025-12-30 … 2026-01-02: four days, two in each year, 32 学时 → 16 + 16
    assert rules.split_hours(dt.date(2025, 12, 30), dt.date(2026, 1, 2), 32) == {2025: 16, 2026: 16}
    assert rules.split_hours(dt.date(2026, 3, 2), dt.date(2026, 3, 2), 2) == {2026: 2}
    rules.split_across_years = False
    assert rules.split_hours(dt.date(2025, 12, 30), dt.date(2026, 1, 2), 32) == {2026: 32}


@pytest.mark.parametrize("change, words", [
    (("method: per_hour", "method: per_click"), "online.method"),
    (("timezone: Asia/Shanghai", "timezone: Mars/Olympus"), "Mars/Olympus"),
    (("start_month: 1", "start_month: 13"), "start_month"),
    (("counts: [集中培训, 集体学习]", "counts: [集中培训, 面对面]"), "面对面"),
    (("window: rolling", "window: sometimes"), "window"),
    (("default: 乡科级及以下干部", "default: 科级干部"), "科级干部"),
])
def test_bad_rules_name_the_file_and_field(tmp_path, change, words):
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    assert change[0] in text
    bad = tmp_path / "rules.yml"
    bad.write_text(text.replace(*change), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_rules(bad)
    assert str(bad) in str(err.value) and words in str(err.value)


def test_study_time_is_read_from_the_collected_answers_files(tmp_path, rules):
    from partyquiz.answers import AnswerStore
    from partyquiz.records.rollin import study_minutes_in

    def studied(learner, assignment, notebook, seconds):
        store = AnswerStore(tmp_path / learner / assignment, notebook)
        store.update_meta(lambda meta: meta.update(study={"active_seconds": seconds}))

    studied("a01", "c1-l1", "l1", 1800)  # 30 minutes
    studied("a01", "c1-l1", "extra", 900)  # a second notebook of the same lesson: 15 more
    studied("a02", "c1-l1", "l1", 2700)
    (tmp_path / "a03" / "c1-l1").mkdir(parents=True)
    (tmp_path / "a03" / "c1-l1" / "l1.answers.json").write_text("{broken", encoding="utf-8")
    minutes = study_minutes_in(tmp_path, ["c1-l1"])
    assert minutes == {("a01", "c1-l1"): 45.0, ("a02", "c1-l1"): 45.0}
    # 45 minutes on the 45-minute, 2-学时 lesson: 0.75 学时
    assert rules.lesson_hours(LESSON_45, True, form="在线", studied_minutes=minutes[("a01", "c1-l1")]) == 0.75


def _dated(*items: tuple[int, str, float, str, dt.date]) -> Earned:
    e = Earned()
    for year, kind, hours, training, on in items:
        e.add(year, kind, hours, training, on=on)
    return e


def test_probation_counts_only_training_within_a_year_of_joining(rules):
    # joined 2025-07-01: the probation year runs 2025.07.01—2026.07.01
    new = Learner(id="n", name="丁", category="预备党员", joined_on=dt.date(2025, 7, 1))
    before = (2025, "集中培训", 24, "candidate-class", dt.date(2025, 3, 10))  # as 发展对象, before joining
    inside = (2026, "集中培训", 8, "new-member-class", dt.date(2026, 5, 20))
    after = (2026, "集中培训", 8, "late-class", dt.date(2026, 9, 1))
    s = rules.assess(new, 2026, _dated(before, after))
    assert (s["status"], s["missing"]) == ("未达标", "集中培训0/1次（2025.07.01—2026.07.01）")
    assert rules.assess(new, 2026, _dated(before, inside))["status"] == "达标"
    # reported for 2025, the May 2026 class has not happened yet
    assert rules.assess(new, 2025, _dated(before, inside))["status"] == "未达标"
    # met during probation: still met in later years
    assert rules.assess(new, 2027, _dated(inside))["status"] == "达标"
    # rows without dates (an older caller): the counting years of the window, 2025 and 2026
    assert rules.assess(new, 2026, _earned((2026, "集中培训", 8, "x")))["status"] == "达标"
    assert rules.assess(new, 2026, _earned((2024, "集中培训", 8, "x")))["status"] == "未达标"


def test_probation_training_across_the_year_end(rules):
    """A 4-day class 2025-12-30 … 2026-01-02 is split 16 + 16 (two year shares of one class):
    it is one training, and it counts for a member who joined on 2025-12-01."""
    new = Learner(id="n", name="丁", category="预备党员", joined_on=dt.date(2025, 12, 1))
    shares = rules.split_hours(dt.date(2025, 12, 30), dt.date(2026, 1, 2), 32)
    earned = _dated(*[(year, "集中培训", hours, "winter-class", dt.date(2026, 1, 2)) for year, hours in shares.items()])
    assert shares == {2025: 16, 2026: 16} and earned.times_between(dt.date(2025, 1, 1), dt.date(2026, 12, 31), None) == 1
    assert rules.assess(new, 2026, earned)["status"] == "达标"
    secretary = Learner(id="s", name="丙", category="书记和班子成员")
    # the secretaries' "1 concentrated training" is met in each year the class has a share in
    for year in (2025, 2026):
        s = rules.assess(secretary, year, earned)
        assert (s["earned"], s["missing"]) == (16, "")


@pytest.mark.parametrize("category, role, requirement", [
    ("党员", "支部书记", "书记和班子成员"),  # marked only by 党内职务
    ("党员", "组织委员", "书记和班子成员"),
    ("党员", "", "党员"),
    ("党员", "党小组长", "党员"),  # not a committee seat
    ("干部", "支部书记", "乡科级及以下干部"),  # a cadre keeps the cadre requirement (roles.for_categories)
])
def test_a_committee_role_on_the_roster_gives_the_secretaries_requirement(rules, category, role, requirement):
    person = Learner(id="p", name="戊", category=category, role=role)
    assert rules.requirement_for(person).name == requirement


def test_secretary_by_role_needs_56_with_one_concentrated_training(rules):
    secretary = Learner(id="s", name="丙", category="党员", role="支部书记")
    # 40 学时 of 集体学习 would meet a member's 32, not a secretary's 56 with a 集中培训
    s = rules.assess(secretary, 2026, _earned((2026, "集体学习", 40, "study")))
    assert (s["requirement"], s["required"], s["shortfall"], s["missing"]) == ("书记和班子成员", 56, 16, "集中培训0/1次")


def test_a_rules_file_without_a_key_takes_the_shipped_value(tmp_path):
    """No figure in code: what an organisation's file leaves out comes from the shipped file."""
    own = tmp_path / "rules.yml"
    own.write_text("online:\n  method: tiers\nrequirements:\n  党员: {hours: 20}\n", encoding="utf-8")
    rules = load_rules(own)
    # shipped tiers (≥30 min 1, 15–30 0.5, under 15 0.25) and pass bonus 0.5; shipped grades 90/80
    assert rules.tiers == [(30, 1), (15, 0.5), (0, 0.25)] and rules.pass_bonus == 0.5
    assert rules.lesson_hours(LESSON_45, True, form="在线", studied_minutes=20) == 1.0  # 0.5 + 0.5
    assert rules.grade_label(85, True) == "良好" and rules.start_month == 1
    assert rules.party_member_categories == {"党员", "预备党员", "书记和班子成员"}
    own.write_text("online:\n  method: tiers\n  pass_bonus: 0\nrequirements:\n  党员: {hours: 20}\n", encoding="utf-8")
    assert load_rules(own).lesson_hours(LESSON_45, True, form="在线", studied_minutes=20) == 0.5


def test_local_time_on_a_daylight_saving_day_changes_within_the_day():
    """Rules.local looks the offset up once per UTC day, and hour by hour on a day the offset
    changes: Berlin goes from +1 to +2 at 01:00 UTC on 29 March 2026 and back at 01:00 UTC on
    25 October."""
    rules = load_rules()
    rules.timezone = "Europe/Berlin"
    utc = dt.datetime
    assert rules.local(utc(2026, 3, 28, 23, 30)) == utc(2026, 3, 29, 0, 30)
    assert rules.local(utc(2026, 3, 29, 0, 30)) == utc(2026, 3, 29, 1, 30)
    assert rules.local(utc(2026, 3, 29, 1, 30)) == utc(2026, 3, 29, 3, 30)
    assert rules.local(utc(2026, 3, 29, 22, 30)) == utc(2026, 3, 30, 0, 30)
    assert rules.local(utc(2026, 10, 25, 0, 30)) == utc(2026, 10, 25, 2, 30)
    assert rules.local(utc(2026, 10, 25, 1, 30)) == utc(2026, 10, 25, 2, 30)
    assert rules.local(utc(2026, 7, 1, 12, 0)) == utc(2026, 7, 1, 14, 0) and rules.local(None) is None
