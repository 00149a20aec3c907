"""The stage order in .importlinter holds, and the contract really fails when a lower stage
imports a higher one (checked on a copy of the package with one bad import added)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO

LINT = Path(sys.executable).with_name("lint-imports")


def _lint(package_parent: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(package_parent)}
    return subprocess.run([str(LINT), "--no-cache", "--config", str(REPO / ".importlinter")], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_tree_keeps_the_stage_order(tmp_path):
    result = _lint(REPO, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


def _copy_with(tmp_path: Path, module: str, line: str) -> Path:
    parent = tmp_path / "copy"
    shutil.copytree(REPO / "partyquiz", parent / "partyquiz", ignore=shutil.ignore_patterns("__pycache__", "data", "*.json", "*.css"))
    path = parent / "partyquiz" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    return parent


def test_a_lower_stage_importing_a_higher_one_fails(tmp_path):
    # records is below publishing: the old records/pipeline.py imported exports and report
    parent = _copy_with(tmp_path, "records/rollin.py", "from ..report import write_report  # noqa")
    result = _lint(parent, tmp_path)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and "partyquiz.records.rollin -> partyquiz.report" in result.stdout


def test_a_circle_inside_grading_fails(tmp_path):
    # the old circle: nbgrader_hooks imported the engines, which import the site, which imports the hooks
    parent = _copy_with(tmp_path, "grading/nbgrader_hooks.py", "from . import engines  # noqa")
    result = _lint(parent, tmp_path)
    assert result.returncode != 0 and "Grading has no circles" in result.stdout and "BROKEN" in result.stdout


def test_a_kind_importing_the_model_fails(tmp_path):
    # the old model <-> qtypes circle: a kind reaching up for model.Question (even under
    # TYPE_CHECKING, which import-linter counts) breaks the build; kinds use questiondata
    parent = _copy_with(tmp_path, "qtypes/single.py", "from ..model import Question  # noqa")
    result = _lint(parent, tmp_path)
    assert result.returncode != 0 and "BROKEN" in result.stdout
    assert "partyquiz.qtypes.single -> partyquiz.model" in result.stdout


def test_the_contracts_ignore_no_import():
    # the cycle contract once exempted model -> qtypes; no contract may hide an import again
    config = (REPO / ".importlinter").read_text(encoding="utf-8")
    assert "ignore_imports" not in config and "exclude_type_checking_imports" not in config
