"""Risk scores with and without entity resolution and screening, on the planted risky
synthetic identities: a person the bank knows as risky, back under a variant of the name.

Usage::

    python benchmarks/bench_identity_risk.py                      # 20k customers, 1 repeat
    python benchmarks/bench_identity_risk.py --customers 100000 --repeat 1

What it does, ``--repeat`` times, each time in a fresh temporary embedded store:

1. **Bank**: generates ``--customers`` customers with ``--seed``, synthetic identities
   included (``generate_dataset(..., synthetic_identities=True)``): about 1 % of people get
   1–3 more records, a third of those people are customers with a ``known_risk_label``, and
   their extra records are the positives here (``typology`` ``synthetic_identity`` in
   ``truth/ground_truth.csv``; the bank does not know them). Generated once, not timed.
2. **Without**: ingests the bank through :class:`~graphrisk.service.RiskService` and scores
   it (``service.score()``).
3. **With**: loads the bank's list (``lists/sanctions.csv``) and screens every customer
   (``service.screening``), links probable same-person records
   (``service.resolution.resolve()``) and scores again.
4. **Figures**, for each run, among the customers not known as risky (no
   ``known_risk_label``): ROC-AUC of the positives against the customers whose truth is not
   risky (sklearn), recall of the positives in the top 5 % by score among every customer
   not known (ties share the last places: :func:`graphrisk.analytics.evaluation.recall_at_top`),
   and the positives' median score; then the with/without ratio of each. The same again for
   the positives that share no identifier (phone, e-mail, address, normalised as ingestion
   does) with another record of their person: without resolution nothing links them to the
   record the bank knows.

Progress goes to stderr, figures to stdout. An open screening hit does not change a score
(only a confirmed one does, see docs/screening.md), and the generator's list is drawn from
the bank as built, before the extra records: screening is run for the realistic sequence,
resolution is what can move these scores.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sklearn.metrics import roc_auc_score

from graphrisk.analytics.evaluation import recall_at_top
from graphrisk.config import Settings, StoreKind
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.generator.identities import SYNTHETIC_IDENTITY_TYPOLOGY
from graphrisk.normalise import normalise_identifiers
from graphrisk.policy import load_policy
from graphrisk.service import RiskService
from graphrisk.store.embedded import EmbeddedGraphStore

#: Share of the customers not known as risky that an investigator reviews.
TOP_SHARE = 0.05


@dataclass(frozen=True)
class Figures:
    """Quality of one scoring run on the planted risky synthetic identities."""

    roc_auc: float
    recall_top: float
    median: float
    positives: int
    negatives: int


def measure(scores: pd.DataFrame, truth: pd.DataFrame,
            positives: set[str] | None = None) -> Figures:
    """ROC-AUC, recall in the top :data:`TOP_SHARE` and median score of the positives.

    Args:
        scores: one row per customer (``customer_id``, ``score``, ``known_risk_label``).
        truth: ``truth/ground_truth.csv`` (``customer_id``, ``risky``, ``typology``).
        positives: only these planted records count as positives (others are left out);
            default every record of typology ``synthetic_identity``.
    """
    frame = scores.set_index("customer_id")
    frame = frame[frame["known_risk_label"].isna()]
    truth = truth.set_index("customer_id").reindex(frame.index)
    planted = truth["typology"].eq(SYNTHETIC_IDENTITY_TYPOLOGY)
    positive = planted if positives is None else planted & frame.index.isin(list(positives))
    frame, truth = frame[positive | ~planted], truth[positive | ~planted]
    positive = positive[frame.index]
    negative = truth["risky"].eq(0)
    score = frame["score"].astype(float)
    judged = positive | negative
    auc = float(roc_auc_score(positive[judged].astype(int), score[judged]))
    return Figures(auc, recall_at_top(positive.astype(int), score, TOP_SHARE),
                   float(score[positive].median()), int(positive.sum()), int(negative.sum()))


def sharing_nothing(data: Path, truth: pd.DataFrame) -> set[str]:
    """The planted positives that share no normalised identifier with another record of
    their person (``truth/same_person.csv``)."""
    ids = pd.read_csv(data / "identifiers.csv", usecols=["customer_id", "kind", "value"])
    ids["value"] = normalise_identifiers(ids["kind"], ids["value"]).to_numpy()
    held = {customer: set(zip(group["kind"], group["value"], strict=True))
            for customer, group in ids.groupby("customer_id")}
    same = pd.read_csv(data / "truth" / "same_person.csv")
    planted = set(truth.loc[truth["typology"].eq(SYNTHETIC_IDENTITY_TYPOLOGY), "customer_id"])
    alone: set[str] = set()
    for _, group in same.groupby("person_id"):
        members = list(group["customer_id"])
        for customer in set(members) & planted:
            others = set().union(*(held.get(o, set()) for o in members if o != customer))
            if not held.get(customer, set()) & others:
                alone.add(customer)
    return alone


def run_once(data: Path, truth: pd.DataFrame, home: Path, alone: set[str]
             ) -> tuple[list[Figures], list[Figures], dict[str, float], str]:
    """Ingest, score, screen, resolve and score again in a fresh store under ``home``;
    figures for every positive, then for the ``alone`` ones."""
    timings: dict[str, float] = {}

    def lap(name: str, started: float) -> None:
        timings[name] = time.perf_counter() - started
        print(f"  {name}: {timings[name]:.1f} s", file=sys.stderr, flush=True)

    settings = Settings(home=home, store=StoreKind.EMBEDDED)
    with RiskService(settings, EmbeddedGraphStore(home / "graphrisk.db"),
                     load_policy()) as service:
        started = time.perf_counter()
        service.ingest_folder(data)
        lap("ingest", started)
        started = time.perf_counter()
        scores = service.score().scores
        without = [measure(scores, truth), measure(scores, truth, alone)]
        lap("score without", started)
        started = time.perf_counter()
        service.screening.load_list(data / "lists" / "sanctions.csv", "sanctions")
        screened = service.screening.screen()
        lap("screen", started)
        started = time.perf_counter()
        resolved = service.resolution.resolve()
        lap("resolve", started)
        started = time.perf_counter()
        scores = service.score().scores
        with_ = [measure(scores, truth), measure(scores, truth, alone)]
        lap("score with", started)
    note = (f"screening: {screened.summary()}\nresolution: {resolved.summary()}")
    return without, with_, timings, note


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    with tempfile.TemporaryDirectory(prefix="bench-identity-risk-") as folder:
        work = Path(folder)
        data = work / "data"
        print(f"generating {args.customers:,} customers (seed {args.seed}) ...",
              file=sys.stderr, flush=True)
        generate_dataset(args.customers, args.seed, data, synthetic_identities=True)
        truth = pd.read_csv(data / "truth" / "ground_truth.csv",
                            usecols=["customer_id", "risky", "typology"])
        alone = sharing_nothing(data, truth)
        runs = []
        for number in range(args.repeat):
            print(f"run {number + 1} of {args.repeat}", file=sys.stderr, flush=True)
            runs.append(run_once(data, truth, work / f"home-{number}", alone))
    withouts, withs, _, note = runs[-1]
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"{len(truth):,} customers (seed {args.seed}); {withouts[0].positives} planted risky "
          f"synthetic identities (not known), {withouts[1].positives} of them sharing no "
          f"identifier with their person's other records; {withouts[0].negatives:,} "
          f"customers not risky")
    print(note)
    for title, without, with_ in (("all planted risky synthetic identities",
                                   withouts[0], withs[0]),
                                  ("those sharing no identifier", withouts[1], withs[1])):
        print(f"{title} ({without.positives}):")
        print(f"  {'':22}{'without':>10}{'with':>10}{'ratio':>8}")
        for label, a, b in (("ROC-AUC", without.roc_auc, with_.roc_auc),
                            (f"recall in top {TOP_SHARE:.0%}", without.recall_top,
                             with_.recall_top),
                            ("median score", without.median, with_.median)):
            ratio = f"{b / a:.2f}" if a else "-"
            print(f"  {label:22}{a:10.3f}{b:10.3f}{ratio:>8}")
    for name in runs[-1][2]:
        times = [run[2][name] for run in runs]
        print(f"{name}: median {statistics.median(times):.1f} s of {len(times)}")
    print(f"peak memory {peak_gib:.2f} GiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
