"""Regression baseline: the model's output for small pinned-seed configs has not changed.

tests/data/baseline_regression.json holds the summary.json and hashes of timeseries.csv and
summary.json of a few small runs (tests/regen_baseline.py ``CASES``). Any change in the model's
numbers - intended or not - fails here with the list of changed keys. If the change is
deliberate, regenerate the file with ``.venv/bin/python tests/regen_baseline.py`` (it prints
what changed) and add a CHANGELOG note.
"""

from __future__ import annotations

import copy
import json

import pytest
import regen_baseline as rb

HOW_TO_FIX = f"if deliberate, run: {rb.COMMAND} and add a CHANGELOG note (the script prints what changed)"


@pytest.fixture(scope="module")
def stored():
    if not rb.BASELINE_FILE.exists():
        pytest.fail(f"{rb.BASELINE_FILE} is missing; create it with: {rb.COMMAND}")
    return rb.load()


@pytest.fixture(scope="module")
def current():
    return rb.compute()


def test_baseline_file_describes_the_current_cases(stored):
    assert set(stored["cases"]) == set(rb.CASES), HOW_TO_FIX
    for name, ov in rb.CASES.items():
        assert stored["cases"][name]["overrides"] == ov, (
            f"the overrides of case {name} changed since the baseline was written; {HOW_TO_FIX}"
        )


@pytest.mark.parametrize("name", list(rb.CASES))
def test_output_matches_baseline(stored, current, name):
    old = {"cases": {name: stored["cases"].get(name)}}
    new = {"cases": {name: current["cases"][name]}}
    changes = rb.diff(old, new)
    if changes:
        shown = "\n".join(changes[:40]) + ("\n  ..." if len(changes) > 40 else "")
        pytest.fail(
            f"model output for '{name}' changed ({len(changes)} value(s)):\n{shown}\n{HOW_TO_FIX}",
            pytrace=False,
        )
    # the hashes cover every byte of timeseries.csv and summary.json (order, formatting)
    assert new["cases"][name]["timeseries_sha256"] == old["cases"][name]["timeseries_sha256"]
    assert new["cases"][name]["summary_sha256"] == old["cases"][name]["summary_sha256"]


def test_baseline_runs_are_not_trivial(stored):
    """A baseline of empty runs would guard nothing."""
    for name, case in stored["cases"].items():
        s = case["summary"]
        assert s["children_contacted"] > 20 and s["offences"] > 5 and s["reports"] > 10, name
    assert stored["cases"]["nspcc_package"]["summary"]["bans"] > 0


def test_diff_names_every_changed_key(stored):
    new = copy.deepcopy(stored)
    case = new["cases"]["baseline_2019"]
    case["summary"]["offences"] += 1
    case["summary"]["by_sex"]["girls"]["contacted"] -= 1
    del case["summary"]["bans"]
    case["summary"]["new_counter"] = 3
    lines = rb.diff(stored, new)
    text = "\n".join(lines)
    assert len(lines) == 4, text
    assert "~ baseline_2019.summary.offences:" in text
    assert "~ baseline_2019.summary.by_sex.girls.contacted:" in text
    assert "- baseline_2019.summary.bans" in text
    assert "+ baseline_2019.summary.new_counter = 3" in text
    assert rb.diff(stored, copy.deepcopy(stored)) == []


def test_regen_check_prints_what_changed_and_writes_nothing(stored, tmp_path, monkeypatch, capsys):
    """``regen_baseline.py --check`` against an altered copy lists the change and exits 1."""
    altered = copy.deepcopy(stored)
    altered["cases"]["baseline_2019"]["summary"]["children_contacted"] += 7
    path = tmp_path / "baseline_regression.json"
    monkeypatch.setattr(rb, "BASELINE_FILE", path)
    monkeypatch.setattr(rb, "CASES", {"baseline_2019": rb.CASES["baseline_2019"]})
    altered["cases"].pop("nspcc_package")
    path.write_text(json.dumps(altered))
    before = path.read_text()
    assert rb.main(["--check"]) == 1
    out = capsys.readouterr().out
    assert "baseline_2019.summary.children_contacted" in out
    assert "1 value(s) changed" in out
    assert path.read_text() == before
    # without --check the file is rewritten and then matches
    assert rb.main([]) == 0
    assert rb.main(["--check"]) == 0
    assert "no change" in capsys.readouterr().out
