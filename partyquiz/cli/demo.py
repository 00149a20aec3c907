"""`partyquiz demo`: the whole chain on embedded defaults."""
from __future__ import annotations

from pathlib import Path

import typer

from . import app


@app.command()
def demo(
    learners: int = typer.Option(30, help="模拟学员人数 / simulated learners"),
    branches: int = typer.Option(3, help="支部数 / branches"),
    out: Path = typer.Option(Path("out"), help="导出目录 / where exports go"),
    lang: str = typer.Option("zh-CN", help="zh-CN or en"),
) -> None:
    """运行完整示例流程 / run the whole pipeline on a sample course."""
    from ..demo import run_demo
    from ..i18n import set_language

    set_language(lang)
    run_demo(learners=learners, branches=branches, out=out)
