"""Load shapes as pure functions of the run's progress (no Locust here: importing Locust
monkey-patches the whole process with gevent, which a test or the runner must never get).

Black Friday: a fifth of the run at normal, a tenth ramping to ten times normal, two fifths held
there, a tenth falling back, the rest normal.
"""

from __future__ import annotations

PEAK = 10
# (share of the run at which the phase ends, multiple of normal users at its end)
PHASES = ((0.2, 1.0), (0.3, float(PEAK)), (0.7, float(PEAK)), (0.8, 1.0), (1.0, 1.0))


def users_at(share: float, normal: int) -> int:
    """Users at `share` (0..1) of the run: linear within each phase."""
    start, level = 0.0, 1.0
    for end, target in PHASES:
        if share <= end:
            frac = (share - start) / (end - start)
            return max(1, round(normal * (level + (target - level) * frac)))
        start, level = end, target
    return normal
