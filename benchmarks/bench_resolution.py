"""Entity resolution on a generated bank: precision and recall against the planted
synthetic identities, wall time and peak memory.

Usage::

    python benchmarks/bench_resolution.py                      # 100k customers, 3 repeats
    python benchmarks/bench_resolution.py --customers 20000 --repeat 1

What it does:

1. **Bank**: generates ``--customers`` customers with ``--seed`` (synthetic identities
   included: about 1 % of people get 1–3 more records; ``truth/same_person.csv``) under
   ``--work``, unless that folder already holds them. Not timed.
2. **Resolution**: reads ``customers.csv`` and ``identifiers.csv`` (identifiers normalised
   as ingestion does), builds the person records
   (:func:`graphrisk.resolution.records.person_records`) and links them
   (:func:`graphrisk.resolution.linkage.link_records`: Splink, u from random pairs, m by
   EM, predict), ``--repeat`` times. Timed: records + linkage (the store is left out: it
   is the same snapshot the service reads).
3. **Quality**: pairwise precision and recall against every pair of records of one planted
   person, at the threshold and at others (how the default was chosen); the pairs missed
   at the threshold by the records' variants and by what they share.
4. **Counterparties** (:func:`graphrisk.resolution.counterparties.match_counterparties`):
   the person-like counterparties matched with the customers, their payments read from
   ``transactions.csv``; precision (every linked counterparty not planted as that
   customer's counts as wrong, coincidences included), recall of the planted outside
   accounts (``truth/outside_accounts.csv``, roles ``own`` and ``known``), the namesakes
   (role ``near_miss``) linked to their customer, and the wall time.

Prints the median wall time and the process's peak memory (``ru_maxrss``; DuckDB's memory
is in the process, so it counts). Targets (issue 17): precision >= 0.95, recall >= 0.90,
<= 2 minutes, <= 4 GiB.
"""

from __future__ import annotations

import argparse
import itertools
import resource
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd

from graphrisk.config import Settings
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.normalise import normalise_identifiers
from graphrisk.resolution.counterparties import match_counterparties
from graphrisk.resolution.linkage import link_records
from graphrisk.resolution.records import person_records

OTHER_THRESHOLDS = (0.5, 0.8, 0.9, 0.95, 0.99)


def true_pairs(same_person: pd.DataFrame) -> set[tuple[str, str]]:
    """Every pair of records of one planted person, ids sorted."""
    pairs: set[tuple[str, str]] = set()
    for _, group in same_person.groupby("person_id"):
        pairs |= set(itertools.combinations(sorted(group["customer_id"]), 2))
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threshold", type=float, default=Settings().resolution_threshold)
    parser.add_argument("--work", type=Path, default=None,
                        help="Folder of the generated bank (default /tmp/bench-resolution-N).")
    args = parser.parse_args(argv)
    work = args.work or Path(f"/tmp/bench-resolution-{args.customers}-{args.seed}")
    if not (work / "truth" / "outside_accounts.csv").exists():
        print(f"generating {args.customers:,} customers into {work} ...", flush=True)
        generate_dataset(args.customers, args.seed, work, watchlists=False,
                         synthetic_identities=True)
    same_person = pd.read_csv(work / "truth" / "same_person.csv")
    truth = true_pairs(same_person)
    lowest = min(args.threshold, *OTHER_THRESHOLDS)
    times: list[float] = []
    pairs = pd.DataFrame()
    last_records = pd.DataFrame()
    records = 0
    for _ in range(args.repeat):
        started = time.perf_counter()
        customers = pd.read_csv(work / "customers.csv")
        identifiers = pd.read_csv(work / "identifiers.csv")
        identifiers["value"] = normalise_identifiers(identifiers["kind"],
                                                     identifiers["value"]).to_numpy()
        last_records = person_records(customers, identifiers)
        result = link_records(last_records, threshold=lowest)
        times.append(time.perf_counter() - started)
        pairs, records = result.pairs, result.records
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"{records:,} people of {args.customers:,} customers; {len(truth):,} planted "
          f"same-person pairs")
    for threshold in sorted({args.threshold, *OTHER_THRESHOLDS}):
        kept = pairs[pairs["match_probability"] >= threshold]
        found = set(zip(kept["unique_id_l"], kept["unique_id_r"], strict=True))
        right = len(found & truth)
        mark = "  <- threshold" if threshold == args.threshold else ""
        print(f"  threshold {threshold:.2f}: {len(found):,} pairs, precision "
              f"{right / max(len(found), 1):.3f}, recall {right / max(len(truth), 1):.3f}"
              f"{mark}")
    print(f"wall time: median {statistics.median(times):.1f} s of {args.repeat} "
          f"({', '.join(f'{t:.1f}' for t in times)}); peak memory {peak_gib:.2f} GiB")
    kept = pairs[pairs["match_probability"] >= args.threshold]
    found = set(zip(kept["unique_id_l"], kept["unique_id_r"], strict=True))
    for line in missed_report(truth - found, same_person, last_records):
        print(line)
    for line in counterparty_report(work, args.threshold):
        print(line)
    return 0


def counterparty_report(work: Path, threshold: float) -> list[str]:
    """Counterparties matched with customers, against the planted outside accounts."""
    started = time.perf_counter()
    customers = pd.read_csv(work / "customers.csv")
    parties = pd.read_csv(work / "counterparties.csv")
    txns = pd.read_csv(work / "transactions.csv", usecols=[
        "from_account_id", "from_counterparty_id", "to_account_id", "to_counterparty_id"])
    owner = pd.read_csv(work / "accounts.csv").set_index("account_id")["customer_id"]
    ends = pd.concat([
        pd.DataFrame({"customer_id": owner.reindex(txns["from_account_id"]).to_numpy(),
                      "counterparty_id": txns["to_counterparty_id"].to_numpy()}),
        pd.DataFrame({"customer_id": owner.reindex(txns["to_account_id"]).to_numpy(),
                      "counterparty_id": txns["from_counterparty_id"].to_numpy()})])
    payments = (ends.dropna().value_counts().rename("payments").reset_index())
    linked = match_counterparties(customers, parties, payments, threshold=threshold)
    seconds = time.perf_counter() - started
    truth = pd.read_csv(work / "truth" / "outside_accounts.csv")
    planted = truth[truth["role"] != "near_miss"]
    pairs = set(zip(linked["counterparty_id"], linked["customer_id"], strict=True))
    right = sum((p, c) in pairs for p, c in zip(planted["counterparty_id"],
                                                planted["customer_id"], strict=True))
    near = truth[truth["role"] == "near_miss"]
    namesakes = sum((p, c) in pairs for p, c in zip(near["counterparty_id"],
                                                    near["customer_id"], strict=True))
    by_role = {role: sum((p, c) in pairs for p, c in zip(
        group["counterparty_id"], group["customer_id"], strict=True))
        for role, group in planted.groupby("role")}
    return [
        f"counterparties: {len(parties):,}, {len(planted):,} planted outside accounts "
        f"({', '.join(f'{r} {n}' for r, n in planted['role'].value_counts().items())}), "
        f"{len(near):,} namesakes",
        f"  {len(linked):,} linked at >= {threshold:.2f}: precision "
        f"{right / max(len(linked), 1):.3f}, recall {right / max(len(planted), 1):.3f} "
        f"(found: {by_role}); namesakes linked to their customer: {namesakes}; "
        f"{seconds:.1f} s"]


def missed_report(missed: set[tuple[str, str]], same_person: pd.DataFrame,
                  records: pd.DataFrame) -> list[str]:
    """Planted pairs missed at the threshold, counted by the two records' variants
    (``original+typo``: a variant and its original; ``typo+initials``: two variants) and by
    what the two records share (phone, e-mail, address, a neighbour's address, birth year
    equal / one or two apart / further)."""
    variant = same_person.set_index("customer_id")["variant"]
    by_id = records.set_index("unique_id")
    kinds: Counter[str] = Counter()
    shares: Counter[str] = Counter()
    for a, b in missed:
        kinds["+".join(sorted((str(variant.get(a)), str(variant.get(b)))))] += 1
        left, right = by_id.loc[a], by_id.loc[b]
        shared = [label for column, label in (("phones", "phone"), ("emails", "e-mail"),
                                              ("addresses", "address"))
                  if set(left[column]) & set(right[column])]
        if not shared and isinstance(left["street"], str) and left["street"] == right["street"]:
            shared.append("street")
        years = (abs(int(left["birth_year"]) - int(right["birth_year"]))
                 if not (pd.isna(left["birth_year"]) or pd.isna(right["birth_year"])) else None)
        shared.append("year=" if years == 0 else f"year+-{years}" if years else "year?")
        shares[", ".join(shared)] += 1
    lines = [f"missed at the threshold: {len(missed):,}"]
    lines.append("  by variants: " + "; ".join(f"{k} {n}" for k, n in kinds.most_common()))
    lines.append("  by what they share: " + "; ".join(f"{k} {n}" for k, n in
                                                   shares.most_common()))
    return lines


if __name__ == "__main__":
    sys.exit(main())
