"""Robustness: the whole pipeline, untuned, on generated banks unlike the default one.

Usage::

    python benchmarks/bench_robustness.py                          # every profile, 5,000 customers
    python benchmarks/bench_robustness.py --profiles default,accounts_only --customers 1500
    python benchmarks/bench_robustness.py --seeds 3                # pool seeds 23, 24, 25

What it does, for each generator profile (``graphrisk.ingestion.generator.PROFILES``: amounts
x0.01 and x100, hour timestamps, four times longer typologies, accounts-only banks, denser
and sparser background traffic, wider typology parameters, 10/30/60% known labels; issue 14,
item 7) and each seed:

1. generates the bank (``generate_dataset(..., profile=NAME)``, no watch lists);
2. loads it into a fresh embedded store through ``RiskService.ingest_folder`` (and counts
   quarantined rows, which must be none);
3. scores it with ``RiskService.score(write=False)`` under the default policy — untuned: no
   weight or threshold is chosen per profile;
4. measures, on the customers whose risk was *not* told (no ``known_risk_label``), against
   ``truth/ground_truth.csv``'s ``risky``: ROC-AUC, PR-AUC and recall in the top 5% by score;
   and the share of planted cycles, and of planted fans (``fan_in`` and ``fan_out`` groups),
   that the typology detector recovers: a planted group is recovered when one detected
   instance of the same kind (``ScoringResult.typologies.instances``) names more than half of
   its members.

Progress goes to stderr; the table (markdown) to stdout, one row per profile, with the issue's
bar (ROC-AUC >= 0.93, recall >= 0.8 in the top 5%, cycles and fans recovered >= 80%) checked
in the last column. With ``--seeds K`` each row pools K consecutive seeds: the AUCs and the
recall are means, recovery counts are summed.

With ``--tiers``, a third table checks the tier bounds (``graphrisk/tier_bounds.py``): the
unknown customers are split in two halves at random; the policy's ``precision_target`` of
each tier picks a bound on the first half (the truth playing the judged outcomes), and the
second half gives the precision and recall at the policy's own ``min_score`` and at that
bound.

With ``--no-labels``, each bank is loaded with every ``known_risk_label`` blanked: a bank
that has confirmed no case yet, scored by how unusual its customers' factors are together
(``graphrisk/analytics/unusualness.py``), its typologies and its rings.

``tests/robustness/test_profiles_quality.py`` loads this file and calls
:func:`measure_profile`, so the tests measure exactly what the table prints.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graphrisk.analytics.evaluation import pr_auc, recall_at_top, roc_auc
from graphrisk.analytics.fusion import LEARNED_COMPONENTS
from graphrisk.config import Settings
from graphrisk.ingestion.generator import PROFILES, generate_dataset
from graphrisk.policy import TIERS, RiskPolicy
from graphrisk.scoring import ScoringResult, score_store
from graphrisk.service import RiskService
from graphrisk.tier_bounds import bound_for_precision, precision_above

__all__ = [
    "BAR",
    "ProfileFigures",
    "measure_profile",
    "pool",
    "recovered_groups",
]

#: The issue's bar, untuned, on every profile.
BAR = {"roc_auc": 0.93, "recall_top5": 0.8, "cycles": 0.8, "fans": 0.8}
#: Planted typology -> the detected instance kind that recovers it.
RECOVERED_KINDS = {"cycle": "cycle", "fan_in": "fan_in", "fan_out": "fan_out"}
TOP_FRACTION = 0.05
#: The name the comparison gives the noisy-OR run.
NOISY_OR = "noisy-OR"


@dataclass(frozen=True)
class ProfileFigures:
    """What the untuned pipeline achieved on one profile (one seed, or several pooled).

    Attributes:
        profile: the generator profile's name.
        customers: customers generated per seed.
        seeds: the seeds measured.
        unknown: customers without a known label (the ones measured), over all seeds.
        risky_unknown: planted risky customers among them.
        roc_auc: ROC-AUC of the fused score on the unknown customers (mean over seeds).
        pr_auc: PR-AUC, likewise.
        recall_top5: share of the unknown risky customers in the top 5% of the unknown
            customers by score, likewise.
        cycles_recovered: planted cycles recovered (see :func:`recovered_groups`).
        cycles_planted: planted cycles.
        fans_recovered: planted fan-ins and fan-outs recovered.
        fans_planted: planted fan-ins and fan-outs.
        quarantined: rows the loader rejected or skipped.
        seconds: generate + load + score, summed over seeds.
        alternatives: with ``compare``, the same three figures (ROC-AUC, PR-AUC, recall in
            the top 5%) of each learned component alone and of the noisy-OR fusion on the
            same bank, by name (means over seeds).
        tiers: per tier with a ``precision_target``: ``(tier, target, policy bound,
            precision there, recall there, bound from the target, precision there, recall
            there)``, precision and recall on the test half, the bound from the target
            chosen on the validation half (:func:`tier_figures`; means over seeds, NaN where
            no bound could be chosen).
    """

    profile: str
    customers: int
    seeds: tuple[int, ...]
    unknown: int
    risky_unknown: int
    roc_auc: float
    pr_auc: float
    recall_top5: float
    cycles_recovered: int
    cycles_planted: int
    fans_recovered: int
    fans_planted: int
    quarantined: int
    seconds: float
    alternatives: tuple[tuple[str, float, float, float], ...] = ()
    tiers: tuple[tuple[Any, ...], ...] = ()

    @property
    def cycles_share(self) -> float:
        """Share of planted cycles recovered (NaN when none was planted)."""
        return self.cycles_recovered / self.cycles_planted if self.cycles_planted else math.nan

    @property
    def fans_share(self) -> float:
        """Share of planted fans recovered (NaN when none was planted)."""
        return self.fans_recovered / self.fans_planted if self.fans_planted else math.nan

    def misses(self) -> list[str]:
        """The parts of the issue's bar this profile misses (empty: met)."""
        values = {"roc_auc": self.roc_auc, "recall_top5": self.recall_top5,
                  "cycles": self.cycles_share, "fans": self.fans_share}
        return [name for name, bar in BAR.items() if not values[name] >= bar]


def measure_profile(profile: str, customers: int, seed: int, work: Path,
                    log: Callable[[str], None] = lambda _: None, *,
                    compare: bool = False, labels: bool = True) -> ProfileFigures:
    """Generate, load and score one profile's bank, untuned, and measure it.

    Args:
        profile: a name of ``PROFILES``.
        customers: customers to generate.
        seed: the generator's seed.
        work: an empty folder for the bank and its embedded store.
        log: called with a line of progress per step.
        compare: also measure each learned component alone and the noisy-OR fusion
            (a second, unwritten scoring run with ``fusion = "noisy_or"``).
        labels: ``False``: the bank is loaded without any ``known_risk_label`` (a bank that
            has confirmed nothing yet), and every customer is measured.

    Returns:
        The figures of this one seed.
    """
    started = time.perf_counter()
    data, home = work / "data", work / "home"
    log(f"[{profile} seed {seed}] generating {customers:,} customers")
    generate_dataset(customers, seed, data, watchlists=False, profile=profile)
    if not labels:
        _forget_labels(data / "customers.csv")
    settings = Settings(home=home, store="embedded")  # type: ignore[arg-type]
    with RiskService.open(settings) as service:
        log(f"[{profile} seed {seed}] loading")
        report = service.ingest_folder(data)
        quarantined = sum(t.rows_rejected + t.batches_skipped for t in report.tables)
        log(f"[{profile} seed {seed}] scoring ({quarantined} rows quarantined)")
        result = service.score(write=False)
        seconds = time.perf_counter() - started
        plain = (score_store(service.store, service.policy, replace(
            service.scoring_settings(), fusion="noisy_or"), write=False) if compare else None)

    truth = pd.read_csv(data / "truth" / "ground_truth.csv").set_index("customer_id")
    scores = result.scores.set_index("customer_id")
    unknown = scores.index[scores["known_risk_label"].isna()]
    risky = truth["risky"].reindex(unknown).fillna(0).astype(int)
    score = scores["score"].reindex(unknown)
    recovered = recovered_groups(truth, result.typologies.instances)
    cycles = recovered[recovered["typology"] == "cycle"]
    fans = recovered[recovered["typology"].isin(["fan_in", "fan_out"])]
    figures = ProfileFigures(
        profile=profile, customers=customers, seeds=(seed,), unknown=len(unknown),
        risky_unknown=int(risky.sum()), roc_auc=roc_auc(risky, score),
        pr_auc=pr_auc(risky, score), recall_top5=recall_at_top(risky, score, TOP_FRACTION),
        cycles_recovered=int(cycles["recovered"].sum()), cycles_planted=len(cycles),
        fans_recovered=int(fans["recovered"].sum()), fans_planted=len(fans),
        quarantined=quarantined, seconds=seconds,
        alternatives=_alternatives(scores, plain, unknown, risky) if compare else (),
        tiers=tier_figures(score, risky, service.policy, seed=seed))
    log(f"[{profile} seed {seed}] ROC-AUC {figures.roc_auc:.3f}, PR-AUC {figures.pr_auc:.3f}, "
        f"recall@5% {figures.recall_top5:.3f}, cycles {figures.cycles_recovered}/"
        f"{figures.cycles_planted}, fans {figures.fans_recovered}/{figures.fans_planted}, "
        f"{seconds:.1f} s; {result.fusion_summary()}")
    return figures


def _forget_labels(customers_csv: Path) -> None:
    """Blank every confirmed risk label (and its source) of a generated ``customers.csv``."""
    customers = pd.read_csv(customers_csv, dtype=str, keep_default_na=False)
    customers[["known_risk_label", "known_risk_source"]] = ""
    customers.to_csv(customers_csv, index=False)


def _alternatives(scores: pd.DataFrame, plain: ScoringResult | None, unknown: pd.Index,
                  risky: pd.Series) -> tuple[tuple[str, float, float, float], ...]:
    """ROC-AUC, PR-AUC and recall in the top 5% of each learned component alone and of the
    noisy-OR run, on the unknown customers."""
    def figures(name: str, values: pd.Series) -> tuple[str, float, float, float]:
        values = values.reindex(unknown).astype(float)
        return (name, roc_auc(risky, values), pr_auc(risky, values),
                recall_at_top(risky, values, TOP_FRACTION))

    found = [figures(name, scores[name]) for name in LEARNED_COMPONENTS]
    if plain is not None:
        found.append(figures(NOISY_OR, plain.scores.set_index("customer_id")["score"]))
    return tuple(found)


def tier_figures(score: pd.Series, risky: pd.Series, policy: RiskPolicy, *, seed: int
                 ) -> tuple[tuple[Any, ...], ...]:
    """Per tier with a precision target: the policy's bound and the one its target picks on a
    random validation half, each judged on the other half (precision, recall)."""
    rng = np.random.default_rng(seed)
    validation = rng.random(len(score)) < 0.5
    hits = risky.astype(bool)
    test_score, test_hits = score[~validation], hits[~validation]

    def judged(bound: float | None) -> tuple[float, float]:
        if bound is None:
            return math.nan, math.nan
        precision, _ = precision_above(test_score, test_hits, bound)
        found = test_hits[test_score >= bound].sum()
        return precision, float(found / max(int(test_hits.sum()), 1))

    rows = []
    for tier in TIERS:
        target = policy.tiers[tier].precision_target
        if target is None:
            continue
        bound, _ = bound_for_precision(score[validation], hits[validation], target)
        current = float(policy.tiers[tier].min_score)
        rows.append((tier, target, current, *judged(current),
                     math.nan if bound is None else bound, *judged(bound)))
    return tuple(rows)


def recovered_groups(truth: pd.DataFrame, instances: pd.DataFrame) -> pd.DataFrame:
    """Per planted cycle, fan-in and fan-out group: whether the detector recovered it.

    A group is recovered when one detected instance of the same kind names more than half of
    its members (the convention ``bench_analytics`` uses for clusters).

    Args:
        truth: ``ground_truth.csv`` indexed by ``customer_id``.
        instances: the detected instances (``TypologyResult.instances``).

    Returns:
        One row per planted group: ``group_id``, ``typology``, ``members``, ``named`` (most
        members one instance names) and ``recovered``.
    """
    planted = truth[truth["typology"].isin(list(RECOVERED_KINDS))].reset_index()
    rows = []
    for (group_id, typology), part in planted.groupby(["group_id", "typology"], sort=True):
        members = set(part["customer_id"])
        kind = instances[instances["kind"] == RECOVERED_KINDS[typology]]
        named = max((len(members.intersection(ids)) for ids in kind["customer_ids"]), default=0)
        rows.append({"group_id": group_id, "typology": typology, "members": len(members),
                     "named": named, "recovered": named > len(members) / 2})
    return pd.DataFrame(rows, columns=["group_id", "typology", "members", "named", "recovered"])


def pool(runs: Sequence[ProfileFigures]) -> ProfileFigures:
    """Several seeds of one profile as one row: mean AUCs and recall, summed counts."""
    first = runs[0]
    if len(runs) == 1:
        return first

    def mean(name: str) -> float:
        return sum(getattr(r, name) for r in runs) / len(runs)

    def total(name: str) -> int:
        return sum(getattr(r, name) for r in runs)

    # Every run measures the same alternatives in the same order: mean each figure.
    alternatives = tuple(
        (first_row[0], *np.mean([r.alternatives[i][1:] for r in runs], axis=0).tolist())
        for i, first_row in enumerate(first.alternatives))
    tiers = tuple(
        (first_row[0], *np.nanmean([r.tiers[i][1:] for r in runs], axis=0).tolist())
        for i, first_row in enumerate(first.tiers))
    return ProfileFigures(
        alternatives=alternatives,  # type: ignore[arg-type]
        tiers=tiers,
        profile=first.profile, customers=first.customers,
        seeds=tuple(s for r in runs for s in r.seeds), unknown=total("unknown"),
        risky_unknown=total("risky_unknown"), roc_auc=mean("roc_auc"), pr_auc=mean("pr_auc"),
        recall_top5=mean("recall_top5"), cycles_recovered=total("cycles_recovered"),
        cycles_planted=total("cycles_planted"), fans_recovered=total("fans_recovered"),
        fans_planted=total("fans_planted"), quarantined=total("quarantined"),
        seconds=sum(r.seconds for r in runs))


def markdown_table(rows: Sequence[ProfileFigures]) -> str:
    """The per-profile table, in markdown."""
    lines = [
        "| profile | unknown (risky) | ROC-AUC | PR-AUC | recall top 5% | cycles recovered "
        "| fans recovered | quarantined | seconds | bar |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        misses = r.misses()
        lines.append(
            f"| {r.profile} | {r.unknown:,} ({r.risky_unknown}) | {r.roc_auc:.3f} | "
            f"{r.pr_auc:.3f} | {r.recall_top5:.3f} | {_share(r.cycles_recovered, r.cycles_planted)}"
            f" | {_share(r.fans_recovered, r.fans_planted)} | {r.quarantined} | {r.seconds:.1f} | "
            f"{'met' if not misses else 'missed: ' + ', '.join(misses)} |")
    return "\n".join(lines)


def comparison_table(rows: Sequence[ProfileFigures]) -> str:
    """The fused score against the noisy-OR and its best single component (by PR-AUC), in
    markdown: ROC-AUC / PR-AUC / recall in the top 5%."""
    lines = [
        "| profile | learned fusion | noisy-OR | best single component | fused >= best |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        values = {a[0]: a[1:] for a in r.alternatives}
        if not values:
            continue
        best = max((n for n in values if n != NOISY_OR), key=lambda n: values[n][1])
        fused = (r.roc_auc, r.pr_auc, r.recall_top5)
        at_least = all(f >= b for f, b in zip(fused, values[best], strict=True))
        lines.append(
            f"| {r.profile} | {_three(fused)} | "
            f"{_three(values[NOISY_OR]) if NOISY_OR in values else '-'} | "
            f"{best} {_three(values[best])} | {'yes' if at_least else 'no'} |")
    return "\n".join(lines)


def tiers_table(rows: Sequence[ProfileFigures]) -> str:
    """Per profile and tier with a target: precision / recall on the test half at the
    policy's bound and at the bound its target picked on the validation half, in markdown."""
    lines = [
        "| profile | tier (target) | policy bound: precision / recall | bound from the target: "
        "precision / recall | target met at the policy bound / at the chosen one |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        for tier, target, current, p_now, r_now, bound, p_new, r_new in r.tiers:
            chosen = "none" if bound != bound else f"{bound:.1f}"
            lines.append(
                f"| {r.profile} | {tier} ({target:.0%}) | {current:g}: {p_now:.3f} / "
                f"{r_now:.3f} | {chosen}: {p_new:.3f} / {r_new:.3f} | "
                f"{'yes' if p_now >= target else 'no'} / "
                f"{'yes' if p_new >= target else 'no'} |")
    return "\n".join(lines)


def _three(values: Sequence[float]) -> str:
    return " / ".join(f"{v:.3f}" for v in values)


def _share(done: int, total: int) -> str:
    return f"{done}/{total} ({done / total:.0%})" if total else "0/0"


def profile_names(parser: argparse.ArgumentParser, text: str) -> list[str]:
    """The comma-separated profile names of ``text``; an unknown one stops ``parser`` with
    the names it could have been (shared with ``bench_model_fusion.py``)."""
    names = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in names if p not in PROFILES]
    if unknown:
        parser.error(f"unknown profiles {unknown}; choose from {', '.join(PROFILES)}")
    return names


def log(line: str) -> None:
    """A line of progress, on stderr (the tables go to stdout)."""
    print(line, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=23,
                        help="the generator's seed (the first, with --seeds)")
    parser.add_argument("--seeds", type=int, default=1, help="consecutive seeds to pool")
    parser.add_argument("--profiles", default=",".join(PROFILES),
                        help="comma-separated profile names (default: all)")
    parser.add_argument("--compare", action="store_true",
                        help="also print the fused score against the noisy-OR and each "
                        "component alone (a second scoring run per bank)")
    parser.add_argument("--tiers", action="store_true",
                        help="also print the tier bounds the policy's precision targets pick "
                        "on a validation half, judged on the other half")
    parser.add_argument("--no-labels", action="store_true",
                        help="load each bank without its known risk labels (a bank that "
                        "has confirmed nothing yet): every customer is measured")
    parser.add_argument("--work", type=Path,
                        help="keep the banks and stores here (default: a temporary folder)")
    args = parser.parse_args(argv)
    names = profile_names(parser, args.profiles)
    with tempfile.TemporaryDirectory(prefix="bench-robustness-") as scratch:
        root = args.work or Path(scratch)
        rows = []
        for name in names:
            runs = [measure_profile(name, args.customers, seed,
                                    root / f"{name}-{args.customers}-seed{seed}", log,
                                    compare=args.compare, labels=not args.no_labels)
                    for seed in range(args.seed, args.seed + args.seeds)]
            rows.append(pool(runs))
    seeds = f"seed {args.seed}" if args.seeds == 1 else (
        f"seeds {args.seed}-{args.seed + args.seeds - 1} pooled")
    told = ("no labels loaded: figures on every customer" if args.no_labels
            else "figures on the customers without a known label")
    print(f"Untuned pipeline on generator profiles: {args.customers:,} customers, {seeds}; "
          f"{told}.\n")
    print(markdown_table(rows))
    if args.compare:
        print("\nThe fused score (learned fusion) against the noisy-OR with the policy's "
              "weights and the best single component, each ROC-AUC / PR-AUC / recall top 5%:\n")
        print(comparison_table(rows))
    if args.tiers:
        print("\nTier bounds: the policy's min_score against the bound its precision_target "
              "picks on a random half of the unknown customers, both judged on the other half "
              "(precision / recall):\n")
        print(tiers_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
