"""`generate()`: the entry point of `funnelcast generate` (orchestration/cli.py), which
builds the company, runs its stories week by week and writes the drops."""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

from sample_exports.simulation.clock import Clock
from sample_exports.simulation.company import Sim, build_campaigns, build_org, build_rates, build_targets
from sample_exports.simulation.scales import SCALES
from sample_exports.simulation.stories import (
    hunting_story, installed_customer_story, leads_this_week, mql_time, queue_duplicates,
)
from sample_exports.writing import FILE_KINDS, FLUSH_ROWS, DropWriter, GenerateSummary


def generate(out: Path, scale: str = "small", seed: int = 42, weeks: int | None = None,
             progress: bool = False) -> GenerateSummary:
    """Write sample export drops to `out`: a full export, then `weeks` weekly deltas.

    ``scale`` is a key of ``SCALES`` (small, medium, large); ``weeks`` defaults to the
    scale's (small 12, medium 26, large 52).  The last drop is always ``AS_OF``
    (2026-11-23); the first is ``weeks`` weeks before it and holds the scale's
    ``pre_weeks`` of history (small 40, medium 52, large 104).  Files this run writes
    are replaced; a folder in `out` that looks like a drop of another run is an error,
    since loading it with these drops would mix two histories.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: choose one of {', '.join(SCALES)}")
    spec = SCALES[scale]
    weeks = spec.weeks if weeks is None else weeks
    if weeks < 0:
        raise ValueError(f"weeks must be 0 or more, got {weeks}")
    clock = Clock.for_scale(spec, weeks)
    out = Path(out)
    drops = clock.drop_names
    _check_out(out, drops)

    writer = DropWriter(out, drops, FLUSH_ROWS)
    sim = Sim(spec, clock, writer, random.Random(seed))
    build_org(sim)
    build_rates(sim)
    build_campaigns(sim)
    build_targets(sim)

    history = clock.history_weeks
    bar = _progress(progress, history + 1, scale)
    for _ in range(spec.installed_customers):
        installed_customer_story(sim)
    bar.update(1)
    for week in range(history):
        queue_duplicates(sim, week)
        times = sorted(mql_time(sim, week) for _ in range(leads_this_week(sim, week)))
        for t_mql in times:
            hunting_story(sim, t_mql)
        bar.update(1)
    bar.close()
    writer.close()
    return GenerateSummary(out, scale, seed, drops, dict(writer.rows_per_kind),
                           sum(writer.rows_per_kind.values()), dict(writer.rows_per_drop))


def _check_out(out: Path, drops: list[str]) -> None:
    if not out.is_dir():
        return
    ours = set(drops)
    stale = sorted(p.name for p in out.iterdir()
                   if p.is_dir() and re.fullmatch(r"\d{4}-\d{2}-\d{2}", p.name) and p.name not in ours)
    if stale:
        raise FileExistsError(
            f"{out} already holds drops of another run ({', '.join(stale[:3])}{', ...' if len(stale) > 3 else ''}); "
            "generate into an empty folder, or remove those drops first")
    for drop in drops:  # files of an earlier identical run are rewritten, never appended to
        for kind in FILE_KINDS:
            (out / drop / f"{kind.name}.csv").unlink(missing_ok=True)


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(enabled: bool, total: int, scale: str):
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc=f"generate {scale}", unit="week", file=sys.stderr)
