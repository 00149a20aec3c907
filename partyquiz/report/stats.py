"""Item analysis with Moodle's quiz statistics (pure functions, plain Python floats).

For one quiz and s attempts: x = one question's mark, X = the attempt's total, R = X − x.
- facility = 100·mean(x)/max
- discrimination index = 100·corr(x, R)
- discriminative efficiency = 100·cov(x, R)/covmax, covmax = cov of x and R each sorted ascending
- CIC = 100·p/(p−1)·(1 − Σ var(xᵢ)/var(X)); error ratio = 100·√(1 − CIC/100); SE = ER·SD(X)/100
Variances and covariances divide by s − 1. A statistic that cannot be computed (fewer than two
attempts, no spread) is None, never NaN, so the report can say "—".

With random draws a question is seen by only some attempts: its statistics use those attempts.
The test-level figures use slots (the k-th question of each attempt in a fixed question order),
as Moodle does for random questions; with a fixed paper the slots are the questions.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Sequence


def mean(v: Sequence[float]) -> float:
    return sum(v) / len(v)


def cov(a: Sequence[float], b: Sequence[float]) -> float | None:
    if len(a) < 2:
        return None
    ma, mb = mean(a), mean(b)
    return sum((x - ma) * (y - mb) for x, y in zip(a, b)) / (len(a) - 1)


def var(a: Sequence[float]) -> float | None:
    return cov(a, a)


def _r(x: float | None, digits: int = 2) -> float | None:
    return None if x is None else round(x, digits)


@dataclass
class ItemStats:
    question_id: str
    attempts: int
    max_score: float
    facility: float | None  # percent
    sd: float | None  # percent of max
    discrimination_index: float | None
    discriminative_efficiency: float | None
    choices: Counter = field(default_factory=Counter)
    unanswered: int = 0
    low_discrimination: bool = False


@dataclass
class QuizStats:
    attempts: int
    questions: int
    mean: float | None
    sd: float | None
    cic: float | None
    error_ratio: float | None
    standard_error: float | None


Attempt = dict[str, tuple[float, float]]  # question id → (score, max)


def item_stats(question_id: str, attempts: list[Attempt], values: list[Any] | None = None, *, low: float = 20.0) -> ItemStats:
    """Statistics of one question over the attempts that contain it."""
    seen = [(a[question_id], sum(s for s, _ in a.values())) for a in attempts if question_id in a]
    x = [s for (s, _), _ in seen]
    total = [t for _, t in seen]
    rest = [t - s for s, t in zip(x, total)]
    maximum = max((m for (_, m), _ in seen), default=0.0)
    stats = ItemStats(question_id=question_id, attempts=len(x), max_score=maximum,
                      facility=_r(100 * mean(x) / maximum) if x and maximum else None,
                      sd=None, discrimination_index=None, discriminative_efficiency=None)
    vx, vr, c = var(x), var(rest), cov(x, rest)
    if vx is not None and maximum:
        stats.sd = _r(100 * math.sqrt(vx) / maximum)
    if c is not None and vx and vr:
        stats.discrimination_index = _r(100 * c / math.sqrt(vx * vr))
        cmax = cov(sorted(x), sorted(rest))
        stats.discriminative_efficiency = _r(100 * c / cmax) if cmax else None
    if values is not None:
        stats.choices, stats.unanswered = choice_counts(values)
    stats.low_discrimination = stats.discrimination_index is not None and stats.discrimination_index < low
    return stats


def choice_counts(values: list[Any]) -> tuple[Counter, int]:
    """How often each option (or true/false) was picked; blanks counted apart."""
    counts: Counter = Counter()
    blank = 0
    for v in values:
        if v is None or v == "" or v == []:
            blank += 1
        elif isinstance(v, bool):
            counts["对" if v else "错"] += 1
        elif isinstance(v, list) and all(isinstance(i, str) for i in v):
            counts.update(v)
        else:
            counts["（作答）"] += 1
    return counts, blank


def quiz_stats(attempts: list[Attempt], order: list[str] | None = None) -> QuizStats:
    """Test-level figures over slots: the k-th question of each attempt in `order`."""
    order = order or sorted({q for a in attempts for q in a})
    rank = {q: i for i, q in enumerate(order)}
    slots: dict[int, list[float]] = defaultdict(list)
    totals = []
    for a in attempts:
        for k, q in enumerate(sorted(a, key=lambda q: (rank.get(q, len(rank)), q))):
            slots[k].append(a[q][0])
        totals.append(sum(s for s, _ in a.values()))
    p = len(slots)
    out = QuizStats(attempts=len(totals), questions=p, mean=_r(mean(totals)) if totals else None,
                    sd=None, cic=None, error_ratio=None, standard_error=None)
    vX = var(totals)
    if vX is None:
        return out
    out.sd = _r(math.sqrt(vX))
    full = all(len(v) == len(totals) for v in slots.values())
    if p >= 2 and vX > 0 and full:
        cic = 100 * p / (p - 1) * (1 - sum(var(v) or 0.0 for v in slots.values()) / vX)
        out.cic = _r(cic)
        if cic <= 100:  # above 100 the error ratio is undefined
            er = 100 * math.sqrt(1 - cic / 100)
            out.error_ratio = _r(er)
            out.standard_error = _r(er * math.sqrt(vX) / 100)
    return out
