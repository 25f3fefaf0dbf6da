"""The CRM vocabulary of the sample exports: SugarCRM's, read from the preset.

The sales stages and their order, the forecast categories (commit_stage values) and
the opportunity types are read from ingest/presets/sugarcrm/*.csv, the files the weekly
run maps these exports with: what the generator writes is what the preset reads, and a
change to the preset changes both.  Only what a vocabulary file does not hold is set
here: SugarCRM's default probability of each stage and its default forecast ranges.
"""

from __future__ import annotations

import csv

from ingest.mapping import load_preset

PRESET = "sugarcrm"


def preset_rows(vocabulary: str) -> list[dict[str, str]]:
    """The rows of one vocabulary file of the SugarCRM preset."""
    with open(load_preset(PRESET).vocabularies[vocabulary], encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


_STAGE_ROWS = sorted(preset_rows("stage_map"), key=lambda row: int(row["stage_order"]))

# SugarCRM's default probability of each stage, in stage order.
STAGE_PROBABILITIES = (10, 20, 25, 30, 40, 50, 65, 80, 100, 0)
if len(STAGE_PROBABILITIES) != len(_STAGE_ROWS):
    raise RuntimeError(f"the {PRESET} stage map lists {len(_STAGE_ROWS)} stages; "
                       f"sample_exports/vocabulary.py has {len(STAGE_PROBABILITIES)} probabilities")

# (stage name, default probability), in stage order; the simulation names a stage by its index.
STAGES: tuple[tuple[str, int], ...] = tuple(
    (row["crm_stage"], probability) for row, probability in zip(_STAGE_ROWS, STAGE_PROBABILITIES)
)
_CLOSED = [row["is_closed"] == "true" for row in _STAGE_ROWS]
_WON = [row["is_won"] == "true" for row in _STAGE_ROWS]
# The open stages come first (indices 0 .. LAST_OPEN), then the won and the lost stage.
LAST_OPEN = _CLOSED.index(True) - 1
WON = _WON.index(True)
LOST = next(i for i, closed in enumerate(_CLOSED) if closed and not _WON[i])
if any(_CLOSED[: LAST_OPEN + 1]) or sorted((WON, LOST)) != [LAST_OPEN + 1, LAST_OPEN + 2]:
    raise RuntimeError(f"the {PRESET} stage map must list its open stages, then one won and one lost stage")

# The commit_stage values of the forecast categories the simulation uses.
_CRM_VALUE = {row["forecast_category"]: row["crm_value"] for row in preset_rows("forecast_category_map")}
COMMIT, UPSIDE, OMITTED = _CRM_VALUE["commit"], _CRM_VALUE["best_case"], _CRM_VALUE["omitted"]

# The opportunity_type of each sales motion (docs/domain.md: hunting and farming).
_TYPE_OF_MOTION = {row["motion"]: row["opportunity_type"] for row in preset_rows("opportunity_type_map")}
NEW_BUSINESS_TYPE, EXISTING_BUSINESS_TYPE = _TYPE_OF_MOTION["hunting"], _TYPE_OF_MOTION["farming"]


def commit_for(probability: int) -> str:
    """SugarCRM's default forecast ranges: commit at 70% and above, best case at 40%, else omitted."""
    return COMMIT if probability >= 70 else UPSIDE if probability >= 40 else OMITTED
