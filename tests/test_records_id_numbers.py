"""GB 11643 check digits on roster ID numbers, and a simulated roster that passes them."""
from __future__ import annotations

from partyquiz.errors import InputError
from partyquiz.records.idnumbers import id_check_character, id_number_problem
from partyquiz.records.roster import load_roster
from partyquiz.simulate import make_roster

HEADER = "工号,姓名,支部,单位,职务,人员类别,职级,身份证号\n"


def test_check_character_by_hand():
    # 1·7+1·9+0·10+1·5+0·8+5·4+1·2+9·1+4·6+9·3+1·7+2·9+3·10+1·5+0·8+0·4+2·2 = 167; 167 mod 11 = 2 → "X"
    assert id_check_character("11010519491231002") == "X"
    # 1·7+1·9+0·10+1·5+0·8+1·4+1·2+9·1+9·6+0·3+0·7+1·9+0·10+1·5+1·8+2·4+3·2 = 126; 126 mod 11 = 5 → "7"
    assert id_check_character("11010119900101123") == "7"
    assert id_number_problem("11010519491231002X") is None and id_number_problem("11010519491231002x") is None
    assert id_number_problem("110101199001011237") is None
    assert "校验码" in id_number_problem("110101199001011234")  # one digit mistyped
    assert id_number_problem("110101900101123") is None  # an old 15-digit number has no check digit
    assert "格式" in id_number_problem("11010119900101")


def test_a_wrong_check_digit_is_reported_with_its_row(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(HEADER + "a01,张三,一支部,办公室,科员,党员,,110101199001011237\n"
                    "a02,李四,一支部,办公室,科员,党员,,110101199001011234\n", encoding="utf-8-sig")
    try:
        load_roster(path)
    except InputError as err:
        [problem] = err.problems
        assert (problem.line, problem.column) == (3, "身份证号") and "第 18 位应为 7" in problem.message and str(path) in str(err)
    else:
        raise AssertionError("a wrong check digit was accepted")


def test_simulated_roster_is_valid_and_holds_every_kind_of_learner():
    roster = make_roster(30)
    assert all(id_number_problem(p.id_number) is None for p in roster)
    categories = {p.category for p in roster}
    assert {"党员", "预备党员", "发展对象", "书记和班子成员", "干部", "入党积极分子"} <= categories
    ranks = {p.rank for p in roster if p.category == "干部"}
    assert len(ranks) >= 5 and {"二级调研员", "四级主任科员"} <= ranks
