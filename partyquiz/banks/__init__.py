"""Question banks: one reader/writer per format, all producing model.Question lists."""
from __future__ import annotations

from pathlib import Path

from ..errors import InputError, Problem
from ..model import Question
from . import yaml_bank

READERS = {".yml": yaml_bank.read, ".yaml": yaml_bank.read}


def read_bank(path: Path) -> list[Question]:
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise InputError(Problem(str(path), f"不支持的题库格式 / unsupported bank format '{path.suffix}'"))
    return reader(path)
