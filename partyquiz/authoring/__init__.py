"""Course sources: course.yml + lessons/*.md + banks → model.Course.

`check_course` reports every problem (file, line); `load_course` raises them all at once.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..model import Course
from .validate import CourseCheck, check_course


def load_course(folder: Path | str) -> Course:
    """Load and check a course; raises InputError listing every problem found."""
    check = check_course(folder)
    if check.problems or check.course is None:
        raise InputError(check.problems)
    return check.course


__all__ = ["CourseCheck", "check_course", "load_course"]
