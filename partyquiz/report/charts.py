"""Charts as inline SVG (text drawn as paths, so Chinese renders offline without any font)."""
from __future__ import annotations

import glob
import io
from functools import lru_cache
from typing import Sequence

FONT_GLOBS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/**/NotoSansCJK*Regular*", "/usr/share/fonts/**/*CJK*")


@lru_cache(maxsize=1)
def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager, pyplot

    for pattern in FONT_GLOBS:
        found = sorted(glob.glob(pattern, recursive=True))
        if found:
            font_manager.fontManager.addfont(found[0])
            name = font_manager.FontProperties(fname=found[0]).get_name()
            matplotlib.rcParams["font.family"] = [name, "DejaVu Sans"]
            break
    matplotlib.rcParams["svg.fonttype"] = "path"
    matplotlib.rcParams["axes.unicode_minus"] = False
    matplotlib.rcParams["svg.hashsalt"] = "partyquiz"  # same data, same file
    return pyplot


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    _pyplot().close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def histogram(values: Sequence[float], title: str, xlabel: str, ylabel: str, pass_mark: float | None = None, pass_label: str = "合格线") -> str:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    import numpy as np  # an array, not a list: matplotlib converts a 200,000-item list element by element

    ax.hist(np.asarray(values, dtype=float), bins=list(range(0, 101, 10)), color="#b22222", edgecolor="white")
    if pass_mark is not None:
        ax.axvline(pass_mark, color="#333", linestyle="--", linewidth=1)
        ax.text(pass_mark + 1, ax.get_ylim()[1] * 0.9, f"{pass_label} {pass_mark:g}", fontsize=9)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, 100)
    return _svg(fig)


def bars(labels: Sequence[str], values: Sequence[float], title: str, ylabel: str, *, percent: bool = False) -> str:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 0.5 + 0.45 * max(3, len(labels))))
    shown = [v * 100 for v in values] if percent else list(values)
    ax.barh(list(labels), shown, color="#c0392b")
    for y, v in enumerate(shown):
        ax.text(v, y, f" {v:.1f}{'%' if percent else ''}", va="center", fontsize=9)
    ax.invert_yaxis()
    ax.set_title(title)
    ax.set_xlabel(ylabel)
    if percent:
        ax.set_xlim(0, 110)
    return _svg(fig)
