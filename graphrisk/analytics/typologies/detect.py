"""Run the typology detectors over a snapshot and describe what they found.

Why a module of its own: the detectors (one module each) return raw instances over the shared
:class:`~graphrisk.analytics.typologies.transfers.Transfers`; this module runs them, numbers
the instances, names their customers and accounts and counts them per customer — the one
table shape scoring, clusters and the investigator page read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from graphrisk.analytics.ledger import TransactionLedger, ledger_for
from graphrisk.analytics.typologies.cycles import find_cycles
from graphrisk.analytics.typologies.fans import find_fans
from graphrisk.analytics.typologies.pass_through import find_pass_throughs
from graphrisk.analytics.typologies.settings import TypologySettings
from graphrisk.analytics.typologies.thresholds import derive_thresholds
from graphrisk.analytics.typologies.transfers import Found, Transfers
from graphrisk.graph import GraphSnapshot

__all__ = [
    "DETECTORS",
    "INSTANCE_COLUMNS",
    "PER_CUSTOMER_COLUMNS",
    "TYPOLOGY_KINDS",
    "TypologyResult",
    "detect_typologies",
]

#: The kinds of instance, from the most telling to the least (a customer's
#: ``typology_reason`` prefers the earlier kinds): a ring is rarely innocent, a fan-in often is.
TYPOLOGY_KINDS: tuple[str, ...] = ("cycle", "pass_through", "fan_out", "fan_in")
#: Columns of :attr:`TypologyResult.instances`, in order.
INSTANCE_COLUMNS: tuple[str, ...] = (
    "instance_id",
    "kind",
    "customer_ids",
    "account_ids",
    "total_amount",
    "first_at",
    "last_at",
    "transactions",
    "reason",
    "hub_customer_id",
)
#: Columns of :attr:`TypologyResult.per_customer`, in order.
PER_CUSTOMER_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "cycle_count",
    "fan_in_count",
    "fan_out_count",
    "pass_through_count",
    "typology_reason",
)


_DEFAULT_SETTINGS = TypologySettings()

#: The detectors, run in this order; each finds instances of one or more kinds. A new
#: detector is a module with a ``find_*`` function and an entry here (and its kind in
#: :data:`TYPOLOGY_KINDS`).
DETECTORS: tuple[Callable[[Transfers, TypologySettings], list[Found]], ...] = (
    find_cycles,
    find_fans,
    find_pass_throughs,
)


@dataclass(frozen=True)
class TypologyResult:
    """What :func:`detect_typologies` found.

    Attributes:
        instances: one row per pattern instance, columns :data:`INSTANCE_COLUMNS`:
            ``instance_id`` (``"cycle-0001"``..., numbered per kind in order of
            ``first_at``), ``kind`` (one of :data:`TYPOLOGY_KINDS`), ``customer_ids`` and
            ``account_ids`` (sorted tuples of our customers and accounts taking part),
            ``total_amount`` (sum of the instance's transactions), ``first_at`` /
            ``last_at`` (UTC timestamps of its first and last transaction), ``transactions``
            (their number), ``reason`` (plain English naming the accounts and amounts) and
            ``hub_customer_id`` (the customer at the centre of a fan or a pass-through: the
            one in most of its transactions; ``None`` for a cycle, which has no centre).
        per_customer: one row per customer of the snapshot, sorted by ``customer_id``,
            columns :data:`PER_CUSTOMER_COLUMNS`: the number of instances of each kind the
            customer takes part in, and ``typology_reason``, the reason of their most
            telling instance ("" when none).
        settings: the thresholds the detectors used, those derived from the data filled in
            (their names in ``settings.from_data``).
    """

    instances: pd.DataFrame
    per_customer: pd.DataFrame
    settings: TypologySettings = field(default_factory=TypologySettings)


def detect_typologies(
    snapshot: GraphSnapshot,
    settings: TypologySettings = _DEFAULT_SETTINGS,
    *,
    ledger: TransactionLedger | None = None,
    derive: bool = False,
) -> TypologyResult:
    """Find cycles, fan-ins, fan-outs and pass-throughs in a snapshot's transactions.

    Args:
        snapshot: the graph as DataFrames; reads ``customers``, ``accounts`` (each account's
            owner is ``accounts.customer_id``) and ``transactions``.
        settings: the detectors' thresholds (see :class:`TypologySettings`).
        ledger: the snapshot's :func:`~graphrisk.analytics.ledger.build_ledger`, when the
            caller shares one; built here if not.
        derive: derive the thresholds named in ``settings.from_data`` from this snapshot's
            transfers first (:func:`~graphrisk.analytics.typologies.thresholds.
            derive_thresholds`). Only for a snapshot of the whole bank (a full scoring run):
            a region's transfers are not the bank's, so a caller re-checking a region passes
            the thresholds of the bank instead and leaves this ``False``.

    Returns:
        The instances found and a per-customer summary; deterministic for a given snapshot.
    """
    ledger = ledger_for(snapshot, ledger)
    if derive:
        settings = derive_thresholds(ledger, settings)
    transfers = Transfers.build(ledger, settings)
    found = [item for detector in DETECTORS for item in detector(transfers, settings)]
    instances = _instances_frame(found, transfers)
    per_customer = _per_customer(instances, ledger.customers["customer_id"])
    return TypologyResult(instances, per_customer, settings)


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


def _instances_frame(found: list[Found], t: Transfers) -> pd.DataFrame:
    """Number the instances per kind in time order and describe each in one row."""
    if found:
        t.load_names(np.concatenate([item.rows for item in found]))
    records = []
    for item in found:
        rows = item.rows
        codes = np.concatenate((t.src[rows], t.dst[rows]))
        ours = codes[codes >= 0]
        hub = (str(t.customer_ids[np.bincount(ours).argmax()])
               if item.kind != "cycle" and ours.size else None)
        accounts = [
            *t.names(rows[t.src[rows] >= 0], "src"),
            *t.names(rows[t.dst[rows] >= 0], "dst"),
        ]
        records.append(
            {
                "kind": item.kind,
                "customer_ids": tuple(sorted({str(t.customer_ids[c]) for c in codes if c >= 0})),
                "account_ids": tuple(sorted({str(a) for a in accounts})),
                "total_amount": float(t.amount[rows].sum()),
                "first_at": int(t.seconds[rows].min()),
                "last_at": int(t.seconds[rows].max()),
                "transactions": len(rows),
                "reason": item.reason(),
                "hub_customer_id": hub,
            }
        )
    frame = pd.DataFrame.from_records(
        records,
        columns=[c for c in INSTANCE_COLUMNS if c != "instance_id"],
    )
    kind_rank = frame["kind"].map({k: i for i, k in enumerate(TYPOLOGY_KINDS)})
    frame = (
        frame.assign(_rank=kind_rank, _key=frame["customer_ids"].map(" ".join))
        .sort_values(["_rank", "first_at", "last_at", "_key"], kind="stable")
        .drop(columns=["_rank", "_key"])
        .reset_index(drop=True)
    )
    number = frame.groupby("kind", sort=False).cumcount() + 1
    ids = [f"{k}-{i:04d}" for k, i in zip(frame["kind"], number, strict=True)]
    frame.insert(0, "instance_id", ids)
    for column in ("first_at", "last_at"):
        frame[column] = pd.to_datetime(frame[column].astype(np.int64), unit="s", utc=True)
    for column in ("instance_id", "kind", "reason"):
        frame[column] = frame[column].astype(str)
    frame["total_amount"] = frame["total_amount"].astype(float)
    frame["transactions"] = frame["transactions"].astype(np.int64)
    return frame[list(INSTANCE_COLUMNS)]


def _per_customer(instances: pd.DataFrame, customers: pd.Series) -> pd.DataFrame:
    """Instance counts per customer and kind, and the reason of the most telling one."""
    ids = customers.astype(str).to_numpy()
    frame = pd.DataFrame({"customer_id": ids})
    exploded = instances[["instance_id", "kind", "customer_ids", "total_amount", "reason"]]
    exploded = exploded.explode("customer_ids").rename(columns={"customer_ids": "customer_id"})
    for kind in ("cycle", "fan_in", "fan_out", "pass_through"):
        counts = exploded.loc[exploded["kind"] == kind, "customer_id"].value_counts()
        frame[f"{kind}_count"] = counts.reindex(ids, fill_value=0).to_numpy(dtype=np.int64)
    # Most telling: the strongest kind first, then the most money, then the first id.
    rank = exploded["kind"].map({k: i for i, k in enumerate(TYPOLOGY_KINDS)})
    top = (
        exploded.assign(_rank=rank)
        .sort_values(["_rank", "total_amount", "instance_id"], ascending=[True, False, True])
        .drop_duplicates("customer_id")
        .set_index("customer_id")["reason"]
    )
    frame["typology_reason"] = top.reindex(ids, fill_value="").astype(str).to_numpy()
    return frame

