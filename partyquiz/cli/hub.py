"""`partyquiz serve`: parse options, call partyquiz.hub.serve."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from . import app


@app.command()
def serve(
    port: int = typer.Option(8000, help="端口（只监听 127.0.0.1）/ port on 127.0.0.1"),
    learners: int = typer.Option(5, help="模拟学员人数（未给名册时）/ simulated learners when no roster"),
    roster: Optional[Path] = typer.Option(None, help="学员名册文件 / roster file"),
    hub_dir: Optional[Path] = typer.Option(None, help="运行目录（默认 var/hub）/ runtime folder"),
    ledger_url: Optional[str] = typer.Option(None, help="培训档案库 URL（默认 var/hub/ledger.db）/ ledger URL"),
    course: Optional[list[Path]] = typer.Option(None, help="只发布这些课程目录（默认 courses/ 下全部）/ course folders to release (default: all)"),
    lang: str = typer.Option("zh-CN", help="zh-CN or en"),
) -> None:
    """启动本机 JupyterHub（演示教师与学员）/ run a local JupyterHub with a demo instructor and learners."""
    from ..hub import DEFAULT_HUB_DIR, HubSetup, serve as run
    from ..i18n import set_language

    set_language(lang)
    setup = HubSetup(hub_dir=hub_dir or DEFAULT_HUB_DIR, port=port, learners=learners, roster_file=roster, ledger_url=ledger_url, lang=lang)
    if course:
        setup.courses = [Path(c) for c in course]
    run(setup)
