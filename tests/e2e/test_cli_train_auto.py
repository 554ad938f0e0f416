"""``graphrisk train --model auto`` as a user runs it, and its ensemble in every command."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import run_graphrisk

pytestmark = pytest.mark.slow


def test_auto_trains_an_ensemble_that_predict_explain_and_score_use(tmp_path: Path) -> None:
    home, data = tmp_path / "home", tmp_path / "data"
    assert run_graphrisk(home, "generate", "--customers", "1500", "--seed", "6", "--out",
                         str(data)).returncode == 0
    assert run_graphrisk(home, "ingest", str(data)).returncode == 0
    # Tiny epochs; a threshold no difference can pass, so that the ensemble is kept.
    trained = run_graphrisk(home, "train", "--model", "auto", "--epochs", "3", "--cv-folds",
                            "2", "--cv-repeats", "1", "--cv-epochs", "2", "--cv-threshold",
                            "1000")
    assert trained.returncode == 0, trained.stderr
    said = " ".join(trained.stdout.split())
    assert "repeats over the train and validation customers" in said
    assert "within noise" in said and "Decision: an ensemble of" in said
    assert "(the averaged probability)" in said and "member hgt" in said
    folder = home / "models" / "auto"
    info = json.loads((folder / "model.json").read_text())
    assert info["model_kind"] == "ensemble"
    for member in ("hgt", "sage"):
        assert (folder / "members" / member / "model.pt").is_file()
    folds = pd.DataFrame(info["metrics"]["selection"]["folds"])
    assert len(folds) == 2 * 3 and folds[["pr_auc", "roc_auc"]].stack().between(0, 1).all()
    # The table's rows are the summary of those folds.
    hgt = info["metrics"]["selection"]["summary"]["hgt"]
    assert f"{hgt['pr_auc_mean']:.3f}" in said
    bad = run_graphrisk(home, "train", "--model", "gat")
    assert bad.returncode == 2 and "'auto', 'hgt', 'sage'" in bad.stderr

    exported = tmp_path / "predictions.csv"
    predicted = run_graphrisk(home, "predict", "--model", str(folder), "--export",
                              str(exported), "--top", "3", "--explain", "1")
    assert predicted.returncode == 0, predicted.stderr
    with exported.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1500 and all(0 <= float(r["probability"]) <= 1 for r in rows)
    assert "ensemble gives a" in rows[0]["reasons"]

    why_file = tmp_path / "why.json"
    explained = run_graphrisk(home, "explain", rows[0]["customer_id"], "--model", str(folder),
                              "--json", str(why_file))
    assert explained.returncode == 0, explained.stderr
    assert "ensemble model gives" in " ".join(explained.stdout.split())
    why = json.loads(why_file.read_text())[0]
    assert why["model"] in ("hgt+sage ensemble", "sage+hgt ensemble")
    assert why["probability"] == pytest.approx(float(rows[0]["probability"]), abs=1e-5)

    fused = run_graphrisk(home, "score", "--model", str(folder), "--no-write", "--export",
                          str(tmp_path / "fused.csv"))
    assert fused.returncode == 0, fused.stderr
    scored = pd.read_csv(tmp_path / "fused.csv")
    assert len(scored) == 1500
