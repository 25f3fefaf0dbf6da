"""The settings defaults are written once (funnelcast/settings.py): dbt_project.yml's vars
and the inline defaults of the models must say the same, and profiles.yml holds none."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from funnelcast.settings import Settings, dbt_var_drift, render_dbt_project_vars

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
DBT_PROJECT_YML = DBT_PROJECT_DIR / "dbt_project.yml"

# var('name', default) in a model or macro: a second default for a setting.
INLINE_DEFAULT = re.compile(r"""var\(\s*['"](\w+)['"]\s*,\s*([^)]+?)\s*\)""")


def test_dbt_project_vars_have_the_settings_defaults():
    drift = dbt_var_drift(DBT_PROJECT_YML.read_text(encoding="utf-8"))
    assert not drift, f"dbt_project.yml vars differ from the settings defaults (run `funnelcast dbt-vars --write`): {drift}"


def test_the_drift_check_fails_on_an_altered_copy():
    """The check above can fail: a default changed in a copy of dbt_project.yml is reported."""
    text = DBT_PROJECT_YML.read_text(encoding="utf-8")
    altered = re.sub(r"(?m)^(\s+benchmark_win_rate_farming:).*$", r"\1 0.70", text)
    assert altered != text
    assert dbt_var_drift(altered) == {"benchmark_win_rate_farming": (0.70, Settings().benchmarks.win_rate_farming)}
    removed = re.sub(r"(?m)^\s+cohort_maturity_days:.*\n", "", text)
    assert dbt_var_drift(removed) == {"cohort_maturity_days": ("(missing)", Settings().cohort_maturity_days)}


def test_dbt_project_yml_is_as_rendered():
    """`funnelcast dbt-vars --write` would change nothing; and rendering repairs an altered copy."""
    text = DBT_PROJECT_YML.read_text(encoding="utf-8")
    assert render_dbt_project_vars(text) == text
    altered = text.replace("cohort_maturity_days: 90", "cohort_maturity_days: 60")
    assert altered != text and render_dbt_project_vars(altered) == text


def test_every_setting_var_is_declared_and_only_non_settings_are_extra():
    declared = yaml.safe_load(DBT_PROJECT_YML.read_text(encoding="utf-8"))["vars"]
    assert set(Settings().dbt_vars()) <= set(declared)
    # Vars that are not settings (documented beside them in dbt_project.yml).
    assert set(declared) - set(Settings().dbt_vars()) == {"hierarchy_max_depth"}


def test_profiles_only_reference_environment_variables():
    profiles = (DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8")
    calls = re.findall(r"\{\{(.*?)\}\}", profiles)
    assert calls, "profiles.yml names the build file by an environment variable"
    for call in calls:
        # `| as_number` only converts (dbt's threads must be a number), it gives no default.
        assert re.fullmatch(r"\s*env_var\('\w+'\)(\s*\|\s*as_number)?\s*", call), \
            f"profiles.yml: a default or non-env value: {call!r}"


def test_inline_var_defaults_in_models_match_the_settings():
    """A `var('x', default)` left in a model must at least agree with the settings default."""
    defaults = Settings().dbt_vars()
    found = []
    for path in sorted([*DBT_PROJECT_DIR.glob("models/**/*.sql"), *DBT_PROJECT_DIR.glob("macros/**/*.sql")]):
        for name, default in INLINE_DEFAULT.findall(path.read_text(encoding="utf-8")):
            found.append((path.name, name))
            if name in defaults:
                assert yaml.safe_load(default.strip("'\"")) == defaults[name], f"{path}: var('{name}', {default})"


@pytest.mark.parametrize("value, text", [(0.2, "0.20"), (0.05, "0.05"), (0.125, "0.125"), (13, "13"), ("USD", "USD")])
def test_var_defaults_are_written_as_dbt_project_yml_writes_them(value, text):
    rendered = render_dbt_project_vars("vars:\n  x: 0\n", {"x": value})
    assert rendered == f"vars:\n  x: {text}\n"
