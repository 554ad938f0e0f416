"""A later stream of small event batches over a generated bank, in which planted risk grows.

Why: monitoring (alerts on new payments, disputes, identifiers) is tested by replaying a
stream and checking exactly which alerts are raised and which are not. That needs batches
in the input format, loadable on top of the base data set one after another, whose every
planted shape is known (``stream_truth.json``) and whose background noise provably raises
nothing under any tier of the policy.

:func:`generate_stream` reads a base written by :func:`~.pipeline.generate_dataset` and writes
``batch-0001/``, ``batch-0002/``... each with only the entity files the batch needs
(``transactions``, ``disputes``, ``identifiers``, ``account_changes``; same columns and
formats as the base, existing customers, accounts and counterparties referred to by id), and
the answer key ``stream_truth.json``.

The noise: customers without a known label, ordinary in the truth, with no joint accounts and
in no shape, each pay only counterparties they paid in the base data, under 0.3 times the
lowest single-payment threshold (and under the typology detectors' ``min_amount``, so the
detectors never see them), at most two a day. The shapes: :mod:`.stream_shapes`.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graphrisk.analytics.typologies import TypologySettings
from graphrisk.normalise import identifier_id
from graphrisk.policy import TIERS, RiskPolicy, load_policy

from .columns import entity_table
from .stream_base import BaseView, _read, read_base
from .stream_rules import PolicyBounds, payment_rules
from .stream_shapes import PLANTERS, SHAPE_KINDS, PlantContext, Shape
from .writers import write_table

__all__ = ["SHAPE_KINDS", "STREAM_TRUTH_FILE", "StreamSummary", "generate_stream"]

logger = logging.getLogger("graphrisk.ingestion.generator")

#: The answer key's file name, in the stream's folder.
STREAM_TRUTH_FILE = "stream_truth.json"
#: The entity files a batch may hold, in load order.
STREAM_ENTITIES: tuple[str, ...] = ("identifiers", "transactions", "disputes", "account_changes")
_DAY = 86_400
_HOUR = 3_600
#: Shapes per batch in each round of six batches: all ten kinds, never more than two a batch.
_ROUND = (2, 2, 2, 2, 1, 1)


@dataclass(frozen=True)
class StreamSummary:
    """What :func:`generate_stream` wrote.

    Attributes:
        batches: batch folders written.
        rows: per batch (``rows[0]`` is ``batch-0001``), rows per entity file written.
        planted: shapes planted (see ``planted_by_kind``).
        planted_by_kind: shapes per kind.
        skipped: shape kinds the schedule asked for but the base had no customers left for.
        quiet_customers: customers who only made noise payments.
        seconds: wall time.
        out_dir: the stream's folder.
    """

    batches: int
    rows: list[dict[str, int]]
    planted: int
    planted_by_kind: dict[str, int]
    skipped: list[str]
    quiet_customers: int
    seconds: float
    out_dir: Path


def generate_stream(
    base_dir: Path,
    out_dir: Path,
    *,
    batches: int = 6,
    events_per_batch: int = 100,
    seed: int = 0,
    policy: RiskPolicy | None = None,
    plant: bool = True,
    days_per_batch: int = 4,
) -> StreamSummary:
    """Write a stream of event batches continuing the base data set in ``base_dir``.

    Batch ``k`` covers the ``days_per_batch`` days starting ``(k - 1) * days_per_batch`` days
    after the midnight that follows the base's latest transaction, so every timestamp is
    later than the base and batches follow each other. Ids are ``S<batch:04>T<seq:06>``
    (transactions), ``...D...`` (disputes) and ``...X...`` (account changes), numbered in time
    order; a base with ids of that form is refused, so they never collide.

    Shapes are spread so that any six consecutive batches of the first rounds plant every kind
    of :data:`SHAPE_KINDS` once (two a batch, one in the fifth and sixth); fewer than six
    batches share the ten kinds between them. Later rounds plant again on fresh customers
    while the base has some left (kinds it runs out of are logged and listed as skipped).

    Args:
        base_dir: a folder written by :func:`~.pipeline.generate_dataset`.
        out_dir: folder for ``batch-NNNN/`` and ``stream_truth.json``; earlier batch folders
            and key there are replaced.
        batches: number of batches.
        events_per_batch: rows per batch, all files together; planted rows count, noise fills
            the rest (a batch whose shapes need more rows is larger).
        seed: the one random generator's seed; the same seed, base and arguments give
            byte-identical files.
        policy: tiers and thresholds the noise must stay under and the shapes must cross;
            the shipped default when ``None``.
        plant: plant the shapes; ``False`` writes noise only.
        days_per_batch: days each batch covers (shapes need up to four).

    Returns:
        Batches, rows per batch and entity, shapes planted, quiet customers.

    Raises:
        ValueError: bad arguments, a base without customers, accounts or transactions, or
            a base whose ids look like the stream's.
    """
    if batches < 1 or events_per_batch < 1 or days_per_batch < 1:
        raise ValueError(
            f"batches, events_per_batch and days_per_batch must be positive, got {batches}, "
            f"{events_per_batch}, {days_per_batch}"
        )
    started = time.perf_counter()
    policy = policy or load_policy()
    base_dir, out_dir = Path(base_dir), Path(out_dir)
    settings = bank_typology_settings(base_dir)
    bounds = PolicyBounds.of(policy)
    noise_cap = 0.98 * min(
        0.3 * bounds.min_single,
        0.25 * bounds.min_daily,
        0.5 * bounds.reporting,
        settings.min_amount,
    )
    base = read_base(base_dir, large=settings.min_amount)
    rng = np.random.default_rng(seed)
    first_day = (base.base_end // _DAY + 1) * _DAY
    windows = [first_day + b * days_per_batch * _DAY for b in range(batches)]

    ctx = PlantContext(base, rng, bounds, settings, noise_cap, days_per_batch)
    shapes: list[Shape] = []
    skipped: list[str] = []
    if plant:
        for batch, kind in _schedule(batches):
            shape = PLANTERS[kind](ctx, batch, windows[batch - 1])
            if shape is None:
                logger.warning("stream batch %d: no customers left in the base for %s", batch, kind)
                skipped.append(kind)
            else:
                shapes.append(shape)

    noise_pool = np.array(
        sorted(
            set(
                np.flatnonzero(
                    ~base.labelled & base.plain & ~base.joint & (base.pair_count > 0)
                ).tolist()
            )
            - ctx.used
        ),
        dtype=np.int64,
    )
    _clear(out_dir)
    rows: list[dict[str, int]] = []
    quiet: set[int] = set()
    ids_of: dict[int, dict[str, list[str]]] = {i: {} for i in range(len(shapes))}
    stream_txns: list[pd.DataFrame] = []
    for batch in range(1, batches + 1):
        mine = [i for i, s in enumerate(shapes) if s.batch == batch]
        planted_rows = sum(
            len(s.txns) + len(s.disputes) + len(s.changes) + (s.identifier is not None)
            for s in (shapes[i] for i in mine)
        )
        noise = _noise(
            rng,
            base,
            noise_pool,
            max(events_per_batch - planted_rows, 0),
            windows[batch - 1],
            days_per_batch,
            noise_cap,
        )
        quiet.update(noise["customer"].tolist())
        tables, batch_ids, txns = _batch_tables(base, batch, [shapes[i] for i in mine], noise)
        for i, found in zip(mine, batch_ids, strict=True):
            ids_of[i] = found
        stream_txns.append(txns)
        folder = out_dir / f"batch-{batch:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        written = {}
        for name in STREAM_ENTITIES:
            if name in tables and tables[name].num_rows:
                write_table(tables[name], folder / f"{name}.csv", "csv")
                written[name] = tables[name].num_rows
        rows.append(written)

    planted = _truth_entries(policy, base, shapes, ids_of, pd.concat(stream_txns))
    truth = {
        "base_dir": str(base_dir),
        "seed": seed,
        "batches": batches,
        "events_per_batch": events_per_batch,
        "days_per_batch": days_per_batch,
        "windows": [
            {"batch": b + 1, "start": _iso(w), "end": _iso(w + days_per_batch * _DAY)}
            for b, w in enumerate(windows)
        ],
        "base_end": _iso(base.base_end),
        "noise_amount_cap": round(noise_cap, 2),
        "planted": planted,
        "skipped": skipped,
        "quiet_customers": sorted(str(base.customer_ids[c]) for c in quiet),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / STREAM_TRUTH_FILE).write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    by_kind = {kind: sum(s.kind == kind for s in shapes) for kind in SHAPE_KINDS}
    summary = StreamSummary(
        batches=batches,
        rows=rows,
        planted=len(shapes),
        planted_by_kind=by_kind,
        skipped=skipped,
        quiet_customers=len(quiet),
        seconds=time.perf_counter() - started,
        out_dir=out_dir,
    )
    logger.info(
        "stream: %d batches, %d shapes planted, %d quiet customers in %.1fs into %s",
        batches,
        len(shapes),
        len(quiet),
        summary.seconds,
        out_dir,
    )
    return summary


def _schedule(batches: int) -> list[tuple[int, str]]:
    """(batch, kind) of every shape to plant: all kinds in each round of six batches."""
    plan: list[tuple[int, str]] = []
    if batches < len(_ROUND):
        counts = [len(part) for part in np.array_split(np.arange(len(SHAPE_KINDS)), batches)]
    else:
        counts = [_ROUND[b % len(_ROUND)] for b in range(batches)]
    kinds = iter(SHAPE_KINDS * math.ceil(sum(counts) / len(SHAPE_KINDS)))
    for batch, count in enumerate(counts, start=1):
        plan.extend((batch, next(kinds)) for _ in range(count))
    return plan


def _noise(
    rng: np.random.Generator,
    base: BaseView,
    pool: np.ndarray,
    count: int,
    window: int,
    days: int,
    cap: float,
) -> pd.DataFrame:
    """``count`` payments of pool customers along their own base routes, at most two per
    customer and day, each under ``cap``."""
    columns = ["customer", "route", "seconds", "amount"]
    if count == 0 or len(pool) == 0:
        return pd.DataFrame({c: pd.Series([], dtype=np.int64) for c in columns})
    draw = 2 * count + 16
    customer = pool[rng.integers(0, len(pool), draw)]
    day = rng.integers(0, days, draw)
    # Keep a customer's first two draws of a day, then the first ``count`` draws in order.
    slot = pd.Series(customer * days + day).groupby(customer * days + day).cumcount()
    keep = np.flatnonzero(slot.to_numpy() < 2)[:count]
    customer, day = customer[keep], day[keep]
    route = (
        base.pair_start[customer] + rng.integers(0, 1 << 30, len(keep)) % base.pair_count[customer]
    )
    seconds = window + day * _DAY + 7 * _HOUR + rng.integers(0, 14 * _HOUR, len(keep))
    usual = base.pair_amount[route] * rng.uniform(0.7, 1.3, len(keep))
    amount = np.minimum(usual, cap * rng.uniform(0.5, 1.0, len(keep)))
    amount = np.maximum(np.floor(amount * 100) / 100, 1.0)
    return pd.DataFrame(
        {"customer": customer, "route": route, "seconds": seconds, "amount": amount}
    )


def _batch_tables(
    base: BaseView, batch: int, shapes: list[Shape], noise: pd.DataFrame
) -> tuple[dict[str, pa.Table], list[dict[str, list[str]]], pd.DataFrame]:
    """One batch's entity tables, the ids of each shape's rows, and its payments (coded)."""
    prefix = f"S{batch:04d}"
    # Transactions: noise (shape -1) and planted, numbered in time order.
    parts = [
        pd.DataFrame(
            {
                "shape": -1,
                "seconds": noise["seconds"].to_numpy(np.int64),
                "from_account": base.pair_account[noise["route"].to_numpy(np.int64)],
                "to_account": -1,
                "to_counterparty": base.pair_counterparty[noise["route"].to_numpy(np.int64)],
                "amount": noise["amount"].to_numpy(float),
                "channel": base.pair_channel[noise["route"].to_numpy(np.int64)],
                "transaction_type": base.pair_type[noise["route"].to_numpy(np.int64)],
            }
        )
    ]
    for i, shape in enumerate(shapes):
        if shape.txns:
            frame = pd.DataFrame([vars(t) for t in shape.txns])
            parts.append(frame.assign(shape=i))
    txns = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else parts[0]
    )
    txns = txns.sort_values(
        ["seconds", "shape", "from_account", "amount"], kind="stable", ignore_index=True
    )
    txns["transaction_id"] = [f"{prefix}T{i:06d}" for i in range(len(txns))]
    accounts, cps = base.account_array, base.counterparty_array
    tables: dict[str, pa.Table] = {}
    if len(txns):
        from_account = txns["from_account"].to_numpy(np.int64)
        tables["transactions"] = entity_table(
            "transactions",
            {
                "transaction_id": pa.array(txns["transaction_id"], pa.string()),
                "from_account_id": _take(accounts, from_account),
                "from_counterparty_id": pa.nulls(len(txns), pa.string()),
                "to_account_id": _take(accounts, txns["to_account"].to_numpy(np.int64)),
                "to_counterparty_id": _take(cps, txns["to_counterparty"].to_numpy(np.int64)),
                "amount": pa.array(txns["amount"].to_numpy(float)),
                "currency": pa.array([base.currency] * len(txns), pa.string()),
                "timestamp": _datetimes(txns["seconds"].to_numpy(np.int64)),
                "channel": pa.array(txns["channel"].astype(str), pa.string()),
                "transaction_type": pa.array(txns["transaction_type"].astype(str), pa.string()),
            },
        )
    found: list[dict[str, list[str]]] = [
        {"transaction_ids": txns.loc[txns["shape"] == i, "transaction_id"].tolist()}
        for i in range(len(shapes))
    ]

    disputes = sorted((d, i) for i, s in enumerate(shapes) for d in s.disputes)
    if disputes:
        dispute_ids = [f"{prefix}D{n:06d}" for n in range(len(disputes))]
        rows = [d for d, _ in disputes]
        tables["disputes"] = entity_table(
            "disputes",
            {
                "dispute_id": pa.array(dispute_ids, pa.string()),
                "customer_id": pa.array([str(base.customer_ids[r[1]]) for r in rows], pa.string()),
                "account_id": pa.array([str(base.account_ids[r[2]]) for r in rows], pa.string()),
                "transaction_id": pa.nulls(len(rows), pa.string()),
                "kind": pa.array([r[3] for r in rows], pa.string()),
                "amount": pa.array([r[4] for r in rows], pa.float64()),
                "status": pa.array(["open"] * len(rows), pa.string()),
                "opened_date": _dates(np.array([r[0] for r in rows], np.int64)),
                "closed_date": pa.nulls(len(rows), pa.string()),
            },
        )
        for dispute_id, (_, i) in zip(dispute_ids, disputes, strict=True):
            found[i].setdefault("dispute_ids", []).append(dispute_id)

    changes = sorted(((c[0], c[1], c[2]), c, i) for i, s in enumerate(shapes) for c in s.changes)
    if changes:
        change_ids = [f"{prefix}X{n:06d}" for n in range(len(changes))]
        rows_c = [c for _, c, _ in changes]
        tables["account_changes"] = entity_table(
            "account_changes",
            {
                "change_id": pa.array(change_ids, pa.string()),
                "account_id": pa.array([str(base.account_ids[r[1]]) for r in rows_c], pa.string()),
                "timestamp": _datetimes(np.array([r[0] for r in rows_c], np.int64)),
                "change_kind": pa.array([r[2] for r in rows_c], pa.string()),
                "old_value": pa.array([r[3] for r in rows_c], pa.string()),
                "new_value": pa.array([r[4] for r in rows_c], pa.string()),
            },
        )
        for change_id, (_, _, i) in zip(change_ids, changes, strict=True):
            found[i].setdefault("change_ids", []).append(change_id)

    idents = sorted((s.identifier, i) for i, s in enumerate(shapes) if s.identifier)
    if idents:
        rows_i = [r for r, _ in idents]
        tables["identifiers"] = entity_table(
            "identifiers",
            {
                "customer_id": pa.array(
                    [str(base.customer_ids[r[1]]) for r in rows_i], pa.string()
                ),
                "kind": pa.array([r[2] for r in rows_i], pa.string()),
                "value": pa.array([r[3] for r in rows_i], pa.string()),
                "first_seen": _dates(np.array([r[0] for r in rows_i], np.int64)),
            },
        )
        for row, i in idents:
            found[i]["identifier_id"] = [identifier_id(row[2], row[4])]

    payer = base.account_owner[txns["from_account"].to_numpy(np.int64)] if len(txns) else []
    payee = (
        np.where(txns["to_account"] >= 0, txns["to_account"], -1 - txns["to_counterparty"])
        if len(txns)
        else []
    )
    coded = pd.DataFrame(
        {
            "payer": np.asarray(payer, np.int64),
            "payee": np.asarray(payee, np.int64),
            "amount": txns["amount"].to_numpy(float) if len(txns) else [],
            "seconds": txns["seconds"].to_numpy(np.int64) if len(txns) else [],
        }
    )
    return tables, found, coded


def _truth_entries(
    policy: RiskPolicy,
    base: BaseView,
    shapes: list[Shape],
    ids_of: dict[int, dict[str, list[str]]],
    payments: pd.DataFrame,
) -> list[dict[str, object]]:
    """One answer-key entry per shape: its rows' ids and the rules it raises, per tier."""
    participants = np.array(sorted({c for s in shapes for c in s.customers}), np.int64)
    mine = payments[payments["payer"].isin(participants)]
    by_payer = payment_rules(policy, mine, base.payees(participants)) if len(mine) else {}
    entries: list[dict[str, object]] = []
    for i, shape in enumerate(shapes):
        per_customer: dict[str, dict[str, list[str]]] = {}
        for customer in shape.customers:
            paid = by_payer.get(customer, {t: [] for t in TIERS})
            own = shape.rules.get(customer, [])
            per_customer[str(base.customer_ids[customer])] = {
                tier: sorted(set(paid[tier]) | set(own)) for tier in TIERS
            }
        principal_rules = [
            set(per_customer[str(base.customer_ids[c])][t]) for c in shape.principal for t in TIERS
        ]
        expect = sorted(set.intersection(*principal_rules)) if principal_rules else []
        found = ids_of.get(i, {})
        times = (
            [t.seconds for t in shape.txns]
            + [d[0] for d in shape.disputes]
            + [c[0] for c in shape.changes]
            + ([shape.identifier[0]] if shape.identifier else [])
        )
        entries.append(
            {
                "batch": shape.batch,
                "kind": shape.kind,
                "customer_ids": [str(base.customer_ids[c]) for c in shape.customers],
                "principal_customer_ids": [str(base.customer_ids[c]) for c in shape.principal],
                "account_ids": [str(base.account_ids[a]) for a in shape.accounts],
                "transaction_ids": found.get("transaction_ids", []),
                "dispute_ids": found.get("dispute_ids", []),
                "change_ids": found.get("change_ids", []),
                "identifier_id": found.get("identifier_id", [None])[0],
                "linked_customer_ids": [str(base.customer_ids[c]) for c in shape.linked_customers],
                "first_at": _iso(min(times)),
                "last_at": _iso(max(times)),
                "expect_rules": expect,
                "rules_by_customer": per_customer,
            }
        )
    return entries


def _take(values: pa.Array, index: np.ndarray) -> pa.Array:
    return values.take(pa.array(index, mask=index < 0))


def _datetimes(seconds: np.ndarray) -> pa.Array:
    text = pc.cast(pa.array(seconds, pa.timestamp("s")), pa.string())
    return pc.replace_substring(text, " ", "T")


def _dates(seconds: np.ndarray) -> pa.Array:
    return pc.cast(pc.cast(pa.array(seconds, pa.timestamp("s")), pa.date32()), pa.string())


def _iso(seconds: int) -> str:
    return str(np.datetime64(int(seconds), "s"))


def _clear(out_dir: Path) -> None:
    """Remove an earlier stream's batch folders and key, and nothing else."""
    if not out_dir.exists():
        return
    for folder in out_dir.glob("batch-[0-9][0-9][0-9][0-9]"):
        if folder.is_dir():
            shutil.rmtree(folder)
    (out_dir / STREAM_TRUTH_FILE).unlink(missing_ok=True)


def bank_typology_settings(base_dir: Path) -> TypologySettings:
    """The typology thresholds a full scoring run derives from the base bank
    (:func:`~graphrisk.analytics.typologies.thresholds.derive_thresholds` over its
    transfers): the stream's money shapes move at least its floors, as a bank's launderers
    move sums large for that bank, and its noise stays under them."""
    from graphrisk.analytics.ledger import build_ledger
    from graphrisk.analytics.typologies.thresholds import derive_thresholds
    from graphrisk.graph import GraphSnapshot

    def frame(name: str, columns: list[str]) -> pd.DataFrame:
        table = _read(base_dir, name, columns)
        return pd.DataFrame({c: (table[c].to_pandas() if c in table.column_names
                                 else pd.Series(dtype=object)) for c in columns})

    transactions = frame("transactions", ["transaction_id", "from_account_id",
                                          "from_counterparty_id", "to_account_id",
                                          "to_counterparty_id", "amount", "timestamp"])
    transactions["amount"] = pd.to_numeric(transactions["amount"], errors="coerce")
    empty = pd.DataFrame()
    snapshot = GraphSnapshot(
        customers=frame("customers", ["customer_id", "known_risk_label"]),
        accounts=frame("accounts", ["account_id", "customer_id"]),
        account_holders=frame("account_holders", ["account_id", "customer_id"]),
        counterparties=frame("counterparties", ["counterparty_id"]),
        identifiers=empty, transactions=transactions, disputes=empty, loans=empty,
        account_changes=empty)
    return derive_thresholds(build_ledger(snapshot), TypologySettings())
