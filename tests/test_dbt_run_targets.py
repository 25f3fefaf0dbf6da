"""dbt's per-invocation target folders do not pile up: the newest are kept for their logs, the
rest removed (orchestration/dbt_project.py: WarehouseDbtResource.prune_run_targets)."""

from __future__ import annotations

import os
import time

from orchestration.dbt_project import RUN_TARGETS_KEPT, WarehouseDbtResource


def test_the_newest_run_folders_and_the_recent_ones_are_kept(tmp_path):
    now = time.time()
    hours_old = {f"run-{i:02d}": 2 + i for i in range(RUN_TARGETS_KEPT + 5)}  # run-00 newest
    hours_old["run-recent"] = 0.5  # younger than an hour: a run may still be writing it
    for name, hours in hours_old.items():
        folder = tmp_path / name
        (folder / "compiled").mkdir(parents=True)
        (folder / "dbt.log").write_text("log", encoding="utf-8")
        os.utime(folder, (now - hours * 3600, now - hours * 3600))
    (tmp_path / "parse_state").mkdir()
    (tmp_path / "manifest.json").write_text("{}", encoding="utf-8")

    removed = WarehouseDbtResource.prune_run_targets(tmp_path, now=now)

    left = sorted(p.name for p in tmp_path.iterdir())
    # The recent folder counts among the newest: 9 of run-00.. stay beside it, 6 go.
    assert sorted(p.name for p in removed) == [f"run-{i:02d}" for i in range(RUN_TARGETS_KEPT - 1, RUN_TARGETS_KEPT + 5)]
    assert left == sorted(["manifest.json", "parse_state", "run-recent",
                           *(f"run-{i:02d}" for i in range(RUN_TARGETS_KEPT - 1))])


def test_no_folder_younger_than_an_hour_is_removed(tmp_path):
    now = time.time()
    for i in range(RUN_TARGETS_KEPT + 3):
        folder = tmp_path / f"run-{i:02d}"
        folder.mkdir()
        os.utime(folder, (now - i * 60, now - i * 60))
    assert WarehouseDbtResource.prune_run_targets(tmp_path, now=now) == []
    assert len(list(tmp_path.iterdir())) == RUN_TARGETS_KEPT + 3
