"""The CLI as a user runs it: real processes, a real GraphRisk home, generated data."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import run_graphrisk

pytestmark = pytest.mark.slow



def test_demo_then_inspect(tmp_path: Path) -> None:
    home = tmp_path / "home"
    demo = run_graphrisk(home, "demo", "--customers", "800", "--seed", "3")
    assert demo.returncode == 0, demo.stderr
    assert "Who should the risk team look at first?" in demo.stdout
    assert "Riskiest customers not yet known to be risky" in demo.stdout
    assert "Highest-risk clusters" in demo.stdout
    assert "hidden ground truth" in demo.stdout
    assert "rows quarantined" in demo.stdout
    assert (home / "graphrisk.db").is_file()
    # the demo works cases and screens: a case decided, a screening hit with its reason
    assert "An investigator works the first cases" in demo.stdout
    assert "confirmed_risk" in demo.stdout
    assert "Screen customers and counterparties against a watch list" in demo.stdout
    said = " ".join(demo.stdout.split())  # the console wraps long lines
    assert re.search(r"SH-[0-9a-f]{12} (customer|counterparty) \S+ .* ~ .*: name '", said)
    # ... and resolves one identity: two records, probably one person, with the reasons,
    # which the score then follows (the second record's reasons name the first).
    assert "Find the same person behind different records" in demo.stdout
    assert "outside the bank" in demo.stdout  # a counterparty that is a customer
    found = re.search(r"(SE-[0-9a-f]{12}): (C\d+) .*?and (C\d+) are probably one person: "
                      r"name '", said)
    assert found, said[:3000]
    assert f"probably the same person as {found.group(2)}" in said
    again = run_graphrisk(home, "resolve", "--json")
    assert again.returncode == 0, again.stderr
    assert any({found.group(2), found.group(3)} <= set(cluster)
               for cluster in json.loads(again.stdout)["clusters"])
    hits = run_graphrisk(home, "screen", "hits", "--json")
    assert hits.returncode == 0, hits.stderr
    assert json.loads(hits.stdout)

    status = run_graphrisk(home, "status")
    assert status.returncode == 0, status.stderr
    assert "store is consistent" in status.stdout
    assert "completed" in status.stdout

    around = run_graphrisk(home, "neighbourhood", "Customer:" + _first_customer(home),
                           "--hops", "1")
    assert around.returncode == 0, around.stderr
    assert "-[:OWNS]->" in around.stdout


def _first_customer(home: Path) -> str:
    import sqlite3

    with closing(sqlite3.connect(home / "graphrisk.db")) as conn:
        return conn.execute("SELECT MIN(customer_id) FROM customers").fetchone()[0]


def test_generate_then_ingest_twice_is_idempotent(tmp_path: Path) -> None:
    home, data = tmp_path / "home", tmp_path / "data"
    generated = run_graphrisk(home, "generate", "--customers", "500", "--seed", "5", "--out",
                           str(data))
    assert generated.returncode == 0, generated.stderr
    first = run_graphrisk(home, "ingest", str(data))
    assert first.returncode == 0, first.stderr
    import sqlite3

    def counts() -> tuple[int, int]:
        with closing(sqlite3.connect(home / "graphrisk.db")) as conn:
            return (conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0],
                    conn.execute("SELECT COUNT(*) FROM transactions").fetchone()[0])

    before = counts()
    assert before[0] == 500
    second = run_graphrisk(home, "ingest", str(data))
    assert second.returncode == 0, second.stderr
    assert counts() == before


def test_errors_are_one_clear_line(tmp_path: Path) -> None:
    missing = run_graphrisk(tmp_path / "home", "ingest", str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    assert "error:" in missing.stderr and "does not exist" in missing.stderr
    assert "Traceback" not in missing.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = run_graphrisk(tmp_path / "home", "ingest", str(empty))
    assert nothing.returncode == 2
    assert "no input files" in nothing.stderr


def test_strict_ingest_fails_on_quarantined_rows(tmp_path: Path, tiny_dir: Path) -> None:
    text = (tiny_dir / "customers.csv").read_text().replace("Hamburg,600", "Hamburg,abc")
    (tiny_dir / "customers.csv").write_text(text)
    result = run_graphrisk(tmp_path / "home", "ingest", str(tiny_dir), "--strict")
    assert result.returncode == 1
    assert "column credit_score: not a whole number" in result.stdout


def test_score_clusters_history_and_policy(tmp_path: Path) -> None:
    import csv

    home, data = tmp_path / "home", tmp_path / "data"
    assert run_graphrisk(home, "generate", "--customers", "1500", "--seed", "4", "--out",
                      str(data)).returncode == 0
    assert run_graphrisk(home, "ingest", str(data)).returncode == 0

    scores_csv = tmp_path / "out" / "scores.csv"
    scored = run_graphrisk(home, "score", "--export", str(scores_csv), "--top", "3")
    assert scored.returncode == 0, scored.stderr
    assert "Riskiest customers" in scored.stdout and "stored in the score history" in scored.stdout
    with scores_csv.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1500
    assert {"customer_id", "score", "tier", "reasons", "run_id"} <= set(rows[0])
    assert all(0 <= float(r["score"]) <= 100 and r["tier"] in {"low", "medium", "high"}
               and r["reasons"] for r in rows)
    top = rows[0]["customer_id"]

    clusters_csv = tmp_path / "out" / "clusters.csv"
    clusters = run_graphrisk(home, "clusters", "--export", str(clusters_csv))
    assert clusters.returncode == 0, clusters.stderr
    assert "Highest-risk clusters" in clusters.stdout and "high-risk" in clusters.stdout
    with clusters_csv.open(newline="") as handle:
        found = list(csv.DictReader(handle))
    assert found and found[0]["rank"] == "1" and found[0]["reason"]

    history = run_graphrisk(home, "history", top)
    assert history.returncode == 0, history.stderr
    assert rows[0]["run_id"] in history.stdout
    missing = run_graphrisk(home, "history", "C-NOPE")
    assert missing.returncode == 2 and "not found" in missing.stderr

    policy = run_graphrisk(home, "policy")
    assert policy.returncode == 0 and "is valid" in policy.stdout
    broken = tmp_path / "broken.toml"
    broken.write_text("[tiers.low]\nmin_score = 0\n")
    checked = run_graphrisk(home, "policy", "--check", str(broken))
    assert checked.returncode == 2
    assert "tiers.low.review_every_days: Field required" in checked.stderr

    # An audit of the whole bank (the generator's truth as the judgement) sets the bounds
    # the shipped policy's precision targets ask for; customers told as known are left out.
    truth = pd.read_csv(data / "truth" / "ground_truth.csv")
    known = pd.read_csv(data / "customers.csv")["known_risk_label"].notna().sum()
    audit = tmp_path / "audit.csv"
    pd.DataFrame({"customer_id": truth["customer_id"], "outcome": truth["risky"]}).to_csv(
        audit, index=False)
    suggested = tmp_path / "out" / "policy.toml"
    bounds = run_graphrisk(home, "tier-bounds", "--outcomes", str(audit), "--write",
                           str(suggested), "--json")
    assert bounds.returncode == 0, bounds.stderr
    answer = json.loads(bounds.stdout)
    assert answer["left_out"] == {"scored with a confirmed label": int(known)}
    assert answer["judged"] == 1500 - known and answer["written"] == str(suggested)
    scored_at = {r["customer_id"]: float(r["score"]) for r in rows}
    unknown = truth[truth["customer_id"].isin(
        pd.read_csv(data / "customers.csv").query("known_risk_label.isna()")["customer_id"])]
    for tier in answer["tiers"]:
        assert tier["bound"] is not None, tier
        above = unknown[unknown["customer_id"].map(scored_at) >= tier["bound"]]
        assert tier["judged"] == len(above) and tier["precision"] == pytest.approx(
            above["risky"].mean(), abs=1e-4)
        assert tier["precision"] >= tier["target"]
    written = run_graphrisk(home, "policy", "--check", str(suggested))
    assert written.returncode == 0 and "is valid" in written.stdout
    assert f"min_score = {answer['bounds']['high']:g}" in suggested.read_text()
    shown = run_graphrisk(home, "tier-bounds", "--outcomes", str(audit))
    assert shown.returncode == 0, shown.stderr
    said = " ".join(shown.stdout.split())
    assert "precision targets" in said and "Pass --write FILE" in said
    assert (f"Judged customers: {1500 - known:,} (0 judged by closed cases and "
            f"{1500 - known:,} from the outcomes file") in said


def test_scoring_an_empty_store_says_what_to_do(tmp_path: Path) -> None:
    empty = run_graphrisk(tmp_path / "home", "score")
    assert empty.returncode == 2
    assert "no customers" in empty.stderr and "graphrisk ingest" in empty.stderr


def test_a_bank_without_labels_is_scored_and_told_what_is_missing(tmp_path: Path) -> None:
    """A new bank that has confirmed no case yet loads its files and scores them (it used
    to stop at "needs at least 5"); the output says the score was not learned and how to
    change that."""
    home, data = tmp_path / "home", tmp_path / "data"
    assert run_graphrisk(home, "generate", "--customers", "1500", "--seed", "4", "--out",
                         str(data)).returncode == 0
    customers = pd.read_csv(data / "customers.csv", dtype=str, keep_default_na=False)
    customers[["known_risk_label", "known_risk_source"]] = ""
    customers.to_csv(data / "customers.csv", index=False)
    assert run_graphrisk(home, "ingest", str(data)).returncode == 0
    scores_csv = tmp_path / "scores.csv"
    scored = run_graphrisk(home, "score", "--export", str(scores_csv))
    assert scored.returncode == 0, scored.stderr
    said = " ".join(scored.stdout.split())
    assert "no model learned: 0 confirmed risk labels (at least 5 needed)" in said
    assert "add known_risk_label to confirmed cases" in said
    assert "network propagation — no known-risk customers to propagate from" in said
    scores = pd.read_csv(scores_csv).set_index("customer_id")
    truth = pd.read_csv(data / "truth" / "ground_truth.csv").set_index("customer_id")
    high = scores[scores["tier"] == "high"]
    # The high tier is a short list, mostly of the customers the generator made risky.
    assert 0 < len(high) < 150 and truth["risky"].reindex(high.index).mean() > 0.5


def test_train_predict_and_fuse_a_graph_model(tmp_path: Path) -> None:
    import csv
    import json

    home, data = tmp_path / "home", tmp_path / "data"
    assert run_graphrisk(home, "generate", "--customers", "1500", "--seed", "6", "--out",
                      str(data)).returncode == 0
    assert run_graphrisk(home, "ingest", str(data)).returncode == 0
    # A named architecture: the default, --model auto, cross-validates first, which
    # tests/e2e/test_cli_train_auto.py runs end to end.
    trained = run_graphrisk(home, "train", "--model", "hgt", "--epochs", "15")
    assert trained.returncode == 0, trained.stderr
    assert "Held-out customers" in trained.stdout
    folder = home / "models" / "hgt"
    for name in ("model.json", "encoders.json", "report.json", "pr_curve.png", "model.pt",
                 "split.csv"):
        assert (folder / name).is_file(), name
    report = json.loads((folder / "report.json").read_text())
    assert report["metrics"]["test_roc_auc"] > 0.5 and report["history"]
    # By default the newest customers are held out: split by onboarding date, 60/20/20.
    metrics = json.loads((folder / "model.json").read_text())["metrics"]
    assert metrics["split"] == "time" and "onboarding date" in trained.stdout
    until, since = metrics["train_onboarded_until"], metrics["test_onboarded_from"]
    assert until <= since
    with (data / "customers.csv").open(newline="") as handle:
        onboarded = [r["onboarding_date"] for r in csv.DictReader(handle)]
    assert sum(d <= until for d in onboarded) >= 0.6 * len(onboarded)
    assert sum(d < since for d in onboarded) <= 0.8 * len(onboarded)
    wrong = run_graphrisk(home, "train", "--split", "random")
    assert wrong.returncode == 2 and "'time', 'hash'" in wrong.stderr

    exported = tmp_path / "predictions.csv"
    predicted = run_graphrisk(home, "predict", "--model", str(folder), "--export",
                              str(exported), "--top", "3", "--explain", "2")
    assert predicted.returncode == 0, predicted.stderr
    with exported.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1500 and all(0 <= float(r["probability"]) <= 1 for r in rows)
    # The two highest scores carry the explanation's reasons, the rest the probability only.
    assert all("of what raised the model's score" in r["reasons"] for r in rows[:2])
    assert "of what raised" not in rows[2]["reasons"]

    explained_file, plots = tmp_path / "why.json", tmp_path / "plots"
    top_customer = rows[0]["customer_id"]
    explained = run_graphrisk(home, "explain", top_customer, "--model", str(folder), "--json",
                              str(explained_file), "--plot", str(plots))
    assert explained.returncode == 0, explained.stderr
    assert "Strongest neighbours" in explained.stdout and top_customer in explained.stdout
    why = json.loads(explained_file.read_text())[0]
    assert why["customer_id"] == top_customer and why["reasons"] and why["neighbours"]
    assert why["probability"] == pytest.approx(float(rows[0]["probability"]), abs=1e-6)
    assert (plots / f"{top_customer}.png").stat().st_size > 1000
    nobody = run_graphrisk(home, "explain", "C-NOBODY", "--model", str(folder))
    assert nobody.returncode == 2 and "no customer C-NOBODY" in nobody.stderr

    # --explain 0: nobody gets the model's own reasons (tests/models/test_score_model_reasons.py
    # checks those), the model reason points to explain.
    fused = run_graphrisk(home, "score", "--model", str(folder), "--explain", "0", "--no-write",
                          "--export", str(tmp_path / "fused.csv"))
    assert fused.returncode == 0, fused.stderr
    # The model joined the learned fusion: its weight learned on the confirmed labels of the
    # customers outside its training split (split.csv), and the run says so.
    said = re.search(r"graph model learned from the (\d+) confirmed labels it did not train on",
                     " ".join(fused.stdout.split()))
    assert said is not None, fused.stdout
    split = pd.read_csv(folder / "split.csv").set_index("customer_id")["split"]
    known = pd.read_csv(data / "customers.csv").set_index("customer_id")["known_risk_label"]
    outside_training = known.notna() & (split.reindex(known.index) != "train")
    assert int(said.group(1)) == int(outside_training.sum()) >= 10
    reasons = " ".join(pd.read_csv(tmp_path / "fused.csv")["reasons"].astype(str))
    assert "not explained in this run; `graphrisk explain" in reasons
    missing = run_graphrisk(home, "predict", "--model", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "model.json" in missing.stderr


def test_graph_model_commands_without_torch_say_how_to_install(tmp_path: Path) -> None:
    code = ("import sys; sys.modules['torch'] = None; "
            "from graphrisk.cli import app; app(['train'])")
    env = {**os.environ, "GRAPHRISK_HOME": str(tmp_path), "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2
    assert "torch is missing" in done.stderr and 'pip install -e ".[gnn]"' in done.stderr
