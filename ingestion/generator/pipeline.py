"""The run of the generator: each step in a fixed order, then the summary.

Why the order is fixed: everything is drawn from one random generator, so the order of the
steps below is part of the output; moving a step changes the bytes every seed gives.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from graphrisk.domain import IdentifierKind

from .accounts import make_accounts, make_counterparties, make_loans
from .behaviour import (
    make_normal_changes,
    make_normal_holders,
    make_normal_transactions,
)
from .customers import (
    credit_scores,
    make_customers,
    shape_risky_profiles,
)
from .draws import HOUR
from .groups import assign_groups, assign_known_labels
from .identities import add_synthetic_identities
from .outside_accounts import add_outside_accounts
from .profiles import Profile, apply_to_tables, resolve_profile
from .progress import Progress
from .registry import TYPOLOGY_CODE, TYPOLOGY_NAMES, plant_groups
from .tables import build_tables
from .truth import build_truth_tables
from .watchlists import build_watchlists, write_watchlists
from .world import Identity, World
from .writers import write_all

__all__ = [
    "MIN_CUSTOMERS",
    "GenerationSummary",
    "generate_dataset",
]

logger = logging.getLogger("graphrisk.ingestion.generator")

#: Fewer customers leave no room to plant every typology at least once.
MIN_CUSTOMERS = 500


@dataclass(frozen=True)
class GenerationSummary:
    """What :func:`generate_dataset` wrote, for the CLI and benchmarks to report.

    Attributes:
        n_customers: customers generated.
        rows: rows written per entity file (and per truth file, under ``truth/...``).
        n_risky: customers with ``risky = 1`` in the ground truth.
        n_known: customers with a ``known_risk_label``.
        typology_customers: customers per planted typology (look-alikes included).
        typology_groups: planted groups per typology.
        seconds: wall time of the whole run, writing included.
        out_dir: the folder written.
        profile: the name of the generator profile used (:mod:`.profiles`).
    """

    n_customers: int
    rows: dict[str, int]
    n_risky: int
    n_known: int
    typology_customers: dict[str, int]
    typology_groups: dict[str, int]
    seconds: float
    out_dir: Path
    profile: str = "default"


def generate_dataset(
    n_customers: int,
    seed: int,
    out_dir: Path,
    *,
    file_format: Literal["csv", "parquet"] = "csv",
    progress: Callable[[str, float], None] | None = None,
    watchlists: bool = True,
    synthetic_identities: bool = False,
    profile: str | Profile | None = None,
) -> GenerationSummary:
    """Generate a synthetic bank with planted risk typologies and write it to ``out_dir``.

    Writes one file per entity of :data:`GENERATED_ENTITIES` (``customers``,
    ``counterparties``, ``accounts``, ``account_holders``, ``identifiers``, ``transactions``,
    ``disputes``, ``loans``, ``account_changes``), columns in spec order, and the answer key in
    ``out_dir/truth/``: ``ground_truth.csv`` (one row per customer: ``customer_id``, ``risky``,
    ``typology``, ``group_id``, ``role``), ``typology_transactions.csv`` (the planted
    transactions of every group, look-alikes included) and a ``README.md``. Last, unless
    ``watchlists`` is false, a synthetic sanctions/PEP list in ``out_dir/lists/``
    (``sanctions.csv``, ``sanctions.ftm.jsonl``) with its answer key ``truth/list_hits.csv``
    and ``truth/list_near_misses.csv`` (see :mod:`.watchlists`); the list draws from its own
    random generator, so it changes no byte of the other files.

    The same ``seed`` and ``n_customers`` always give byte-identical files, so experiments and
    tests can be repeated.

    Args:
        n_customers: customers to generate, at least :data:`MIN_CUSTOMERS`; about ten
            transactions are made per customer.
        seed: seed of the only random generator used (``numpy.random.default_rng``).
        out_dir: folder to write into; created if missing, existing files are replaced.
        file_format: ``csv`` or ``parquet`` for the entity files (the truth is always CSV).
        progress: called as ``progress(step, fraction_done)`` between steps, so a CLI can
            draw a progress bar.
        watchlists: also write the watch lists and their truth (the default); false leaves
            them out, giving exactly the files written before the lists existed.
        synthetic_identities: append 1–3 extra customer records of the same person for
            about 1% of the bank's people (name variants, shared or near identifiers; see
            :mod:`.identities`) and their answer key ``truth/same_person.csv``, and
            counterparties that are customers (their outside accounts, and namesakes that
            are not; :mod:`.outside_accounts`) with ``truth/outside_accounts.csv``; drawn
            from their own random generators, so the bank's other rows stay as they are. Off by
            default (a bank of exactly ``n_customers``, as every test and benchmark before
            it expects); entity resolution's tests and benchmark turn it on.
        profile: a generator profile (:mod:`.profiles`), by name (``"accounts_only"``, see
            :data:`.profiles.PROFILES`) or as a :class:`.profiles.Profile`: a bank unlike the
            default one (other amount scale, hour timestamps, longer or wider typologies, no
            identifiers or attributes, denser or sparser traffic, another share of known
            labels). ``None`` or ``"default"`` draws exactly the default bank.

    Returns:
        Row counts, risky and known counts, typology sizes and the run time.

    Raises:
        ValueError: ``n_customers`` is below :data:`MIN_CUSTOMERS`, ``file_format`` is
            unknown or no profile has that name.
    """
    if n_customers < MIN_CUSTOMERS:
        raise ValueError(
            f"n_customers must be at least {MIN_CUSTOMERS} to plant every typology, "
            f"got {n_customers}"
        )
    if file_format not in ("csv", "parquet"):
        raise ValueError(f"file_format must be 'csv' or 'parquet', got {file_format!r}")
    chosen = resolve_profile(profile)
    started = time.perf_counter()
    report = Progress(progress)
    rng = np.random.default_rng(seed)
    out_dir = Path(out_dir)

    report("customers")
    customers = make_customers(rng, n_customers)
    truth = assign_groups(rng, customers, chosen)
    shape_risky_profiles(rng, customers, truth)
    report("accounts")
    accounts = make_accounts(rng, customers)
    cps = make_counterparties(rng, n_customers)
    identity = Identity(base={k.value: np.arange(n_customers) for k in IdentifierKind})
    world = World(rng, customers, truth, accounts, cps, identity, profile=chosen)
    report("loans")
    loans = make_loans(world)
    report("transactions")
    make_normal_transactions(world, loans)
    report("typologies")
    plant_groups(world)
    make_normal_changes(world)
    make_normal_holders(world)
    report("ledger")
    txns = world.ledger.collect()
    if chosen.hour_resolution:
        # Flooring keeps the time order; dispute dates (whole days) do not move.
        txns["ts"] = txns["ts"] // HOUR * HOUR
        world.changes.ts = [ts // HOUR * HOUR for ts in world.changes.ts]
    known = assign_known_labels(rng, truth, chosen.known_share)
    credit = credit_scores(rng, customers, truth)

    tables = build_tables(world, txns, loans, known, credit, report)
    truth_tables = build_truth_tables(world, txns)
    written, written_truth = tables, truth_tables
    if synthetic_identities:
        # From its own generator; the watch lists below still read the bank as built.
        report("synthetic identities")
        grown = add_synthetic_identities(seed, tables, truth_tables)
        outside = add_outside_accounts(seed, grown.tables, grown.truth)
        written, written_truth = outside.tables, outside.truth
    if not chosen.is_default:
        # Amounts and the data an accounts-only bank lacks; no random numbers are drawn.
        written = apply_to_tables(written, chosen)
    rows = write_all(written, written_truth, out_dir, file_format, report)
    if watchlists:
        # Last, from its own generator: the bank's files above stay byte-identical.
        report("watch lists")
        rows |= write_watchlists(build_watchlists(seed, world, tables), out_dir)

    typology_customers = {
        name: int(np.sum(truth.typology == code)) for name, code in TYPOLOGY_CODE.items()
    }
    typology_groups = {name: 0 for name in TYPOLOGY_NAMES}
    for group in truth.groups:
        typology_groups[group.typology] += 1
    summary = GenerationSummary(
        n_customers=n_customers,
        rows=rows,
        n_risky=int(truth.is_risky().sum()),
        n_known=int((known[0] >= 0).sum()),
        typology_customers=typology_customers,
        typology_groups=typology_groups,
        seconds=time.perf_counter() - started,
        out_dir=out_dir,
        profile=chosen.name,
    )
    report("done", final=True)
    logger.info(
        "generated %d customers, %d transactions, %d risky (%d known) in %.1fs into %s",
        n_customers,
        rows["transactions"],
        summary.n_risky,
        summary.n_known,
        summary.seconds,
        out_dir,
    )
    return summary
