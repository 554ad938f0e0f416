"""Money-laundering typologies on the transfer graph: cycles, fan-in, fan-out, pass-through.

Why: launderers move money in shapes that no single transaction gives away — round a ring of
accounts and back, from many mules into one account (or out to many), through an account that
keeps none of it. Each detector here finds one shape on a :class:`GraphSnapshot` and returns
*instances* an investigator can check by hand: the accounts, the amounts, the dates and a
plain-English reason that names them.

Shared rules:

* A customer's accounts are one node: money moved between two accounts of one customer is
  ignored, and money returning to any account of the customer it left has gone round.
* Transfers below :attr:`TypologySettings.min_amount` are everyday spending (coffee, pocket
  money, bills) and are ignored by every detector; they cannot launder meaningful sums.
* Cycles and fans look only at transfers between our own customers' accounts: a
  counterparty id (cash, an employer, another bank) lumps unrelated outside parties together.
  Pass-through also counts money from and to counterparties: cash in and a wire abroad is
  the classic conduit.

The detectors (details on each private function):

``cycle``
    Money leaves a customer and returns through 2..``max_cycle_length - 1`` other customers,
    each hop later than the one before, the whole ring within ``window_days``, and the hops
    carrying comparable sums (the smallest at least ``cycle_amount_ratio`` of the largest).
``fan_out`` / ``fan_in``
    A customer sends to (receives from) at least ``min_fan_degree`` distinct other customers
    within ``fan_window_days``, counting only one-off payees (payers); two suffice when
    another customer paid (was paid by) the same two in those days, a bipartite block.
``pass_through``
    A run of money in, then a run of money out within ``pass_through_days``: out between
    ``1 - pass_through_tolerance`` times in and in, in at least ``pass_through_min_amount``
    (any size when the money came from or goes on to another pass-through: a chain), and
    passed on to parties other than those it came from (else it is a refund).

What tells mules from their benign look-alikes is *recurrence*: a payroll pays the same
staff every month, a pension fund or employer the same people, parents the same children.
Two customers whose transfers to each other span ``recurring_days`` or more have a standing
relationship, and those transfers count towards neither a fan nor a pass-through — so a
business paying 30 employees on one day, out of client money received days before, is
neither. Mules are recruited for a burst: the transfers are one-offs between customers who
never dealt with each other before or after. Pensions and salaries from counterparties never
enter a fan, and a single salary (a few thousand, spent over the month) matches no
pass-through.

The detectors are vectorised with numpy; the cycle search walks only the strongly connected
parts of the transfer graph, which are tiny, so a million transactions take seconds.

References:
    Suzumura and Kanezashi, "AMLSim: Anti-Money Laundering Simulator", IBM (2021), for the
    patterns; Kumar and Calders, "2SCENT: An Efficient Algorithm for Enumerating All Simple
    Temporal Cycles", VLDB (2018), for time-respecting cycles.
"""

from __future__ import annotations

import bisect
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse
from scipy.sparse import csgraph

from graphrisk.analytics.arrow_columns import id_keys, id_positions, iso_seconds
from graphrisk.analytics.factors import DEFAULT_REPORTING_THRESHOLD
from graphrisk.graph import GraphSnapshot

__all__ = [
    "INSTANCE_COLUMNS",
    "PER_CUSTOMER_COLUMNS",
    "TYPOLOGY_KINDS",
    "TypologyResult",
    "TypologySettings",
    "detect_typologies",
]

logger = logging.getLogger(__name__)

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

_DAY = 86_400
_MAX_LISTED = 6  # parties named in a reason before "and N more"


@dataclass(frozen=True)
class TypologySettings:
    """Thresholds of the typology detectors; the defaults say why they are what they are.

    Attributes:
        window_days: a cycle must close within this many days of its first hop. Two weeks
            lets a ring of eight hops at a day or so each close (AMLSim's rings take 2-36
            hours a hop), yet is short enough that unrelated payments rarely line up.
        max_cycle_length: most customers in one ring (the first counted once). Rings of more
            than eight are rare, and each extra hop multiplies the search.
        cycle_amount_ratio: the smallest hop of a ring must carry at least this share of the
            largest, so that it is plausibly the same money going round (each launderer keeps
            a cut of a few percent, not half).
        min_amount: transfers below this are everyday spending and ignored by every
            detector. A thousand is above almost all card payments, bills and pocket money,
            and well below the sums launderers move (they stay near, not far below, the
            reporting threshold).
        fan_window_days: a fan's transfers fall within this many days. Mule networks are
            used in bursts of a few days; a week catches a burst that straddles a weekend.
        min_fan_degree: least number of distinct one-off counterparts of a fan. Three
            separates a burst from the odd pair of large transfers; families and friends
            rarely send three large one-off sums in a week. (Two count inside a bipartite
            block, where a second customer paid the same two.)
        fan_history_ratio: a fan's window must hold at least this many times the hub's
            usual number of one-off transfers per window (over the rest of the snapshot).
            A landlord or a shop that is paid by new customers every week is busy, not a
            mule; a mule's burst stands out against its own quiet history.
        recurring_days: a pair of customers whose transfers (of any size) span at least this
            many days is a standing relationship — salary, rent, pocket money — and counts
            towards neither a fan nor a pass-through. Just under a month, so that two monthly
            payments suffice.
        pass_through_days: money out must follow money in within this many days. A week
            covers a layer that gathers over three days and pays out over the next three.
        pass_through_tolerance: money out must be at least ``1 - tolerance`` times money
            in, and no more than money in: each launderer keeps a cut of a few percent, and
            one who sends on more than came in is spending their own money as well.
        pass_through_min_amount: least money in for a pass-through on its own (links of a
            chain of pass-throughs need not reach it). Half the reporting threshold:
            launderers split sums to stay under the threshold, so a floor at the threshold
            itself would miss exactly the layering it is meant to find.
        max_search_steps: safety bound on the cycle search's steps; a graph that needs more
            is cut short with a warning in the log rather than running for hours.
    """

    window_days: float = 14.0
    max_cycle_length: int = 8
    cycle_amount_ratio: float = 0.5
    min_amount: float = 1_000.0
    fan_window_days: float = 7.0
    min_fan_degree: int = 3
    fan_history_ratio: float = 3.0
    recurring_days: float = 25.0
    pass_through_days: float = 7.0
    pass_through_tolerance: float = 0.1
    pass_through_min_amount: float = DEFAULT_REPORTING_THRESHOLD / 2
    max_search_steps: int = 2_000_000

    def __post_init__(self) -> None:
        positive = {
            "window_days": self.window_days,
            "fan_window_days": self.fan_window_days,
            "recurring_days": self.recurring_days,
            "pass_through_days": self.pass_through_days,
            "pass_through_min_amount": self.pass_through_min_amount,
            "fan_history_ratio": self.fan_history_ratio,
            "max_search_steps": self.max_search_steps,
        }
        for name, value in positive.items():
            if not value > 0:
                raise ValueError(f"{name} must be positive, got {value}")
        if self.min_amount < 0:
            raise ValueError(f"min_amount must not be negative, got {self.min_amount}")
        if self.max_cycle_length < 3:
            raise ValueError(f"max_cycle_length must be at least 3, got {self.max_cycle_length}")
        if self.min_fan_degree < 2:
            raise ValueError(f"min_fan_degree must be at least 2, got {self.min_fan_degree}")
        if not 0.0 < self.cycle_amount_ratio <= 1.0:
            raise ValueError(f"cycle_amount_ratio must be in (0, 1], got {self.cycle_amount_ratio}")
        if not 0.0 <= self.pass_through_tolerance < 1.0:
            raise ValueError(
                f"pass_through_tolerance must be in [0, 1), got {self.pass_through_tolerance}"
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
            (their number) and ``reason`` (plain English naming the accounts and amounts).
        per_customer: one row per customer of the snapshot, sorted by ``customer_id``,
            columns :data:`PER_CUSTOMER_COLUMNS`: the number of instances of each kind the
            customer takes part in, and ``typology_reason``, the reason of their most
            telling instance ("" when none).
    """

    instances: pd.DataFrame
    per_customer: pd.DataFrame


def detect_typologies(
    snapshot: GraphSnapshot, settings: TypologySettings = TypologySettings()
) -> TypologyResult:
    """Find cycles, fan-ins, fan-outs and pass-throughs in a snapshot's transactions.

    Args:
        snapshot: the graph as DataFrames; reads ``customers``, ``accounts`` (each account's
            owner is ``accounts.customer_id``) and ``transactions``.
        settings: the detectors' thresholds (see :class:`TypologySettings`).

    Returns:
        The instances found and a per-customer summary; deterministic for a given snapshot.
    """
    transfers = _Transfers.build(snapshot, settings)
    found = [
        *_find_cycles(transfers, settings),
        *_find_fans(transfers, settings),
        *_find_pass_throughs(transfers, settings),
    ]
    instances = _instances_frame(found, transfers)
    customers = snapshot.customers["customer_id"].drop_duplicates().sort_values()
    return TypologyResult(instances, _per_customer(instances, customers))


# --------------------------------------------------------------------------------------------
# Transfers between customers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Transfers:
    """Transfers of at least ``min_amount`` between two different parties, in time order.

    Parties are coded: our customers ``0..n_customers-1`` (every account of a customer is
    the same party), counterparties ``-1``. Account and counterparty ids are looked up only
    for the few transfers that end up in a reason (:meth:`load_names`), because turning a
    million ids into Python strings would cost more than all the detectors together.
    ``src_party``/``dst_party`` tell parties apart without names: the customer code, or
    ``-2 - k`` for the k-th distinct counterparty.

    ``standing`` marks transfers between two customers with a standing relationship: their
    transfers to each other (of any size) span ``recurring_days`` or more — salary, rent,
    pocket money — so they are no burst and nothing passed on.
    """

    customer_ids: np.ndarray  # customer code -> id
    src: np.ndarray  # customer code, -1 for a counterparty
    dst: np.ndarray
    src_party: np.ndarray
    dst_party: np.ndarray
    amount: np.ndarray
    seconds: np.ndarray  # int64 seconds since 1970, UTC
    standing: np.ndarray
    frame_rows: np.ndarray  # row of each transfer in snapshot.transactions
    src_names: pa.Array  # per row of snapshot.transactions: account id, else counterparty id
    dst_names: pa.Array
    currencies: pa.Array
    _names: dict[int, tuple[str, str, str | None]] = field(default_factory=dict)

    @classmethod
    def build(cls, snapshot: GraphSnapshot, settings: TypologySettings) -> _Transfers:
        accounts = snapshot.accounts.drop_duplicates("account_id")
        owner_codes, customer_ids = pd.factorize(accounts["customer_id"], sort=True)
        account_keys = id_keys(accounts["account_id"])
        owner_lookup = np.append(owner_codes.astype(np.int64), -1)  # position -1 -> -1

        txns = snapshot.transactions
        src = owner_lookup[id_positions(txns["from_account_id"], account_keys)]
        dst = owner_lookup[id_positions(txns["to_account_id"], account_keys)]
        amount = pd.to_numeric(txns["amount"], errors="coerce").to_numpy(dtype=float)
        amount = np.nan_to_num(amount, nan=0.0)
        seconds = iso_seconds(txns["timestamp"])
        has_src = (src >= 0) | txns["from_counterparty_id"].notna().to_numpy()
        has_dst = (dst >= 0) | txns["to_counterparty_id"].notna().to_numpy()
        # One end must be ours, and money between two accounts of one customer is no signal.
        usable = has_src & has_dst & ((src >= 0) | (dst >= 0)) & (src != dst) & (seconds >= 0)

        between = usable & (src >= 0) & (dst >= 0)
        keep = np.flatnonzero(usable & (amount >= settings.min_amount))
        # Time order, ties by transaction id: the same snapshot always gives the same result.
        by_time = pa.table(
            {"t": seconds[keep], "id": id_keys(txns["transaction_id"]).take(pa.array(keep))}
        )
        keep = keep[pc.sort_indices(by_time, [("t", "ascending"), ("id", "ascending")]).to_numpy()]

        def names(account: str, counterparty: str) -> pa.Array:
            return pc.coalesce(id_keys(txns[account]), id_keys(txns[counterparty]))

        from_cp = id_keys(txns["from_counterparty_id"]).take(pa.array(keep))
        to_cp = id_keys(txns["to_counterparty_id"]).take(pa.array(keep))
        cp_keys = pc.unique(pa.chunked_array([from_cp, to_cp]).drop_null())

        currencies = (
            id_keys(txns["currency"])
            if "currency" in txns.columns
            else pa.nulls(len(txns), pa.string())
        )
        return cls(
            customer_ids=np.asarray(customer_ids, dtype=object),
            src=src[keep],
            dst=dst[keep],
            src_party=np.where(src[keep] >= 0, src[keep], -2 - id_positions(from_cp, cp_keys)),
            dst_party=np.where(dst[keep] >= 0, dst[keep], -2 - id_positions(to_cp, cp_keys)),
            amount=amount[keep],
            seconds=seconds[keep],
            standing=_standing(
                src[between],
                dst[between],
                seconds[between],
                src[keep],
                dst[keep],
                settings.recurring_days,
            ),
            frame_rows=keep,
            src_names=names("from_account_id", "from_counterparty_id"),
            dst_names=names("to_account_id", "to_counterparty_id"),
            currencies=currencies,
        )

    def __len__(self) -> int:
        return len(self.src)

    def load_names(self, rows: np.ndarray) -> None:
        """Look up the ids and currency of these transfers, for :meth:`names`, at once."""
        rows = np.unique(rows)
        take = pa.array(self.frame_rows[rows])
        columns = [
            c.take(take).to_pylist() for c in (self.src_names, self.dst_names, self.currencies)
        ]
        self._names.update(zip(rows.tolist(), zip(*columns, strict=True), strict=True))

    def names(self, rows: np.ndarray, side: str) -> list[str]:
        """The account (or counterparty) id at one end of each transfer (loaded first)."""
        index = 0 if side == "src" else 1
        return [str(self._names[row][index]) for row in rows.tolist()]

    def parties(self, rows: np.ndarray, side: str) -> list[str]:
        """``"A7 (C7)"`` for an account of customer C7, the bare id for a counterparty."""
        codes = self.src[rows] if side == "src" else self.dst[rows]
        return [
            f"{name} ({self.customer_ids[code]})" if code >= 0 else name
            for name, code in zip(self.names(rows, side), codes.tolist(), strict=True)
        ]

    def currency_of(self, rows: np.ndarray) -> list[str]:
        values = (self._names[row][2] for row in rows.tolist())
        return [v for v in values if v]


def _standing(
    src: np.ndarray,
    dst: np.ndarray,
    seconds: np.ndarray,
    query_src: np.ndarray,
    query_dst: np.ndarray,
    days: float,
) -> np.ndarray:
    """Whether each queried pair's transfers (``src``, ``dst``, ``seconds``) span ``days``."""
    times = pd.DataFrame({"a": src, "b": dst, "t": seconds}).groupby(["a", "b"])["t"]
    span = times.max() - times.min()
    standing = span[span >= days * _DAY].index
    return pd.MultiIndex.from_arrays([query_src, query_dst]).isin(standing)


@dataclass(frozen=True)
class _Found:
    """One instance before numbering: rows of :class:`_Transfers` and its reason."""

    kind: str
    rows: np.ndarray
    reason: Callable[[], str]  # called once the names of every instance's rows are loaded


# --------------------------------------------------------------------------------------------
# Cycles
# --------------------------------------------------------------------------------------------


def _find_cycles(t: _Transfers, settings: TypologySettings) -> list[_Found]:
    """Time-respecting rings of 3..``max_cycle_length`` customers.

    Only transfers inside a strongly connected component of three or more customers can
    lie on a ring, and in real data those components are few and small, so a depth-first
    search from each transfer (as the first hop) over them is cheap. A ring is found once,
    from its earliest hop. Rings through the same customers that overlap in time (parallel
    transfers, a ring repeated within days) are merged into one instance.
    """
    between = np.flatnonzero((t.src >= 0) & (t.dst >= 0))
    if len(between) == 0:
        return []
    n = len(t.customer_ids)
    src, dst = t.src[between], t.dst[between]
    graph = sparse.coo_matrix((np.ones(len(between)), (src, dst)), shape=(n, n)).tocsr()
    _, labels = csgraph.connected_components(graph, directed=True, connection="strong")
    sizes = np.bincount(labels)
    on_ring = (labels[src] == labels[dst]) & (sizes[labels[src]] >= 3)
    rows = between[on_ring]
    if len(rows) == 0:
        return []

    out: dict[int, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for row in rows:  # ``rows`` is in time order, so each list is sorted by time
        times, targets = out[int(t.src[row])]
        times.append(int(t.seconds[row]))
        targets.append(int(row))

    window = settings.window_days * _DAY
    ratio, longest = settings.cycle_amount_ratio, settings.max_cycle_length
    steps = 0
    rings: list[list[int]] = []
    for first in rows:
        home, deadline = int(t.src[first]), t.seconds[first] + window
        amount = float(t.amount[first])
        # (customer reached, time of the hop there, customers before it, hops, min, max amount)
        stack: list[tuple[int, int, tuple[int, ...], tuple[int, ...], float, float]] = [
            (int(t.dst[first]), int(t.seconds[first]), (home,), (int(first),), amount, amount)
        ]
        while stack:
            node, last, path, hops, low, high = stack.pop()
            times, targets = out.get(node, ([], []))
            for k in range(bisect.bisect_right(times, last), len(times)):
                steps += 1
                row = targets[k]
                if t.seconds[row] > deadline:
                    break
                nxt, hop = int(t.dst[row]), float(t.amount[row])
                lo, hi = min(low, hop), max(high, hop)
                if lo < ratio * hi:
                    continue
                if nxt == home:
                    if len(path) >= 2:
                        rings.append([*hops, row])
                elif nxt not in path and len(path) + 1 < longest:
                    stack.append((nxt, times[k], (*path, node), (*hops, row), lo, hi))
            if steps > settings.max_search_steps:
                logger.warning(
                    "cycle search stopped after %d steps; raise max_search_steps or "
                    "min_amount to search the rest",
                    steps,
                )
                stack.clear()
        if steps > settings.max_search_steps:
            break
    return [_Found("cycle", ring, partial(_cycle, t, ring)) for ring in _merge_rings(t, rings)]


def _merge_rings(t: _Transfers, rings: list[list[int]]) -> list[np.ndarray]:
    """Rings through the same customers whose time spans overlap, as one set of rows."""
    by_members: dict[frozenset[int], list[list[int]]] = defaultdict(list)
    for ring in rings:
        by_members[frozenset(int(t.src[row]) for row in ring)].append(ring)
    merged: list[np.ndarray] = []
    for group in by_members.values():
        group.sort(key=lambda ring: (t.seconds[ring[0]], t.seconds[ring[-1]]))
        current, end = set(group[0]), t.seconds[group[0][-1]]
        for ring in group[1:]:
            if t.seconds[ring[0]] <= end:
                current.update(ring)
                end = max(end, t.seconds[ring[-1]])
            else:
                merged.append(np.array(sorted(current)))
                current, end = set(ring), t.seconds[ring[-1]]
        merged.append(np.array(sorted(current)))
    return merged


def _cycle(t: _Transfers, rows: np.ndarray) -> str:
    """A ring's reason, tracing the route of its first hop round to where it started."""
    route, seen = t.parties(rows[:1], "src"), {int(t.src[rows[0]])}
    node, last = int(t.dst[rows[0]]), int(rows[0])
    while True:
        route.extend(t.parties(np.array([last]), "dst"))
        if node in seen:
            break
        seen.add(node)
        nxt = [r for r in rows if t.src[r] == node and t.seconds[r] > t.seconds[last]]
        if not nxt:
            break
        last = int(nxt[0])
        node = int(t.dst[last])
    return (
        f"money went round {' → '.join(route)} "
        f"({_count(len(rows), 'transfer')}, {_money(t, rows)}) within {_span(t, rows)}"
    )


# --------------------------------------------------------------------------------------------
# Fans
# --------------------------------------------------------------------------------------------


def _find_fans(t: _Transfers, settings: TypologySettings) -> list[_Found]:
    """Bursts of one-off transfers from one customer to many others, or from many to one.

    For each direction, a transfer is left out when its two customers have a standing
    relationship (see :class:`_Transfers`); then a sliding window of ``fan_window_days``
    from each remaining transfer of a hub counts the distinct customers at the other end,
    and overlapping windows that reach ``min_fan_degree`` merge into one instance. A window
    with only two counts when its hub is part of a bipartite block (:func:`_blocks`).
    """
    one_off = np.flatnonzero((t.src >= 0) & (t.dst >= 0) & ~t.standing)
    window = settings.fan_window_days * _DAY
    # Windows in the rest of the snapshot, for the hub's usual pace (at least one).
    period = int(t.seconds.max() - t.seconds.min()) if len(t) else 0
    other_windows = max((period - window) / window, 1.0)
    found = []
    for kind, hub_side in (("fan_out", "src"), ("fan_in", "dst")):
        hub = t.src[one_off] if hub_side == "src" else t.dst[one_off]
        spoke = t.dst[one_off] if hub_side == "src" else t.src[one_off]
        partners = _blocks(hub, spoke, t.seconds[one_off], one_off, window)
        frame = pd.DataFrame({"hub": hub, "spoke": spoke, "row": one_off})
        frame["block"] = frame["row"].isin(list(partners))
        degree = frame.groupby("hub")["spoke"].transform("nunique")
        in_block = frame.groupby("hub")["block"].transform("any")
        frame = frame[(degree >= settings.min_fan_degree) | (in_block & (degree >= 2))]
        for _, group in frame.groupby("hub", sort=True):
            rows = group["row"].to_numpy()  # in time order
            spokes, block = group["spoke"].to_numpy(), group["block"].to_numpy()
            segments = _fan_segments(t.seconds[rows], spokes, block, other_windows, settings)
            for segment in segments:
                fan = rows[segment]
                others = sorted({p for row in fan.tolist() for p in partners.get(row, ())})
                describe = partial(_fan, t, kind, fan, hub_side, others)
                found.append(_Found(kind, fan, describe))
    return found


def _blocks(
    hub: np.ndarray, spoke: np.ndarray, seconds: np.ndarray, rows: np.ndarray, window: float
) -> dict[int, set[int]]:
    """Transfers of hubs in a bipartite block, each with the block's other hubs.

    Two hubs form a block when each sent to (or received from) the same two or more
    customers, the transfers to each shared customer no more than ``window`` apart: AMLSim's
    bipartite pattern, which two unrelated customers almost never draw by chance. Only
    transfers in the same or the neighbouring window-long bucket are paired, so a customer
    with thousands of one-off payers in a year costs no more than their busiest fortnight.
    """
    edges = pd.DataFrame(
        {
            "hub": hub,
            "spoke": spoke,
            "t": seconds,
            "row": rows,
            "bucket": seconds // max(int(window), 1),
        }
    )
    shared = edges.groupby("spoke")["hub"].transform("nunique") >= 2
    edges = edges[shared]
    if edges.empty:
        return {}
    later = edges.assign(bucket=edges["bucket"] - 1)  # pairs with the next bucket
    pairs = pd.concat(
        [
            edges.merge(edges, on=["spoke", "bucket"], suffixes=("", "_b")),
            edges.merge(later, on=["spoke", "bucket"], suffixes=("", "_b")),
            later.merge(edges, on=["spoke", "bucket"], suffixes=("", "_b")),
        ]
    )
    pairs = pairs[(pairs["hub"] != pairs["hub_b"]) & ((pairs["t"] - pairs["t_b"]).abs() <= window)]
    n_shared = pairs.groupby(["hub", "hub_b"])["spoke"].transform("nunique")
    pairs = pairs[n_shared >= 2]
    partners: dict[int, set[int]] = defaultdict(set)
    for row, other in pairs[["row", "hub_b"]].drop_duplicates().itertuples(index=False):
        partners[int(row)].add(int(other))
    return partners


def _fan_segments(
    seconds: np.ndarray,
    spokes: np.ndarray,
    block: np.ndarray,
    other_windows: float,
    settings: TypologySettings,
) -> list[slice]:
    """Maximal runs of one hub's transfers covered by windows with enough distinct spokes
    (``min_fan_degree``, or two where a transfer in the window belongs to a block) and
    well above the hub's usual pace: the transfers outside the window per other window."""
    window = settings.fan_window_days * _DAY
    ends = np.searchsorted(seconds, seconds + window, side="right")
    in_window = ends - np.arange(len(ends))
    usual = (len(ends) - in_window) / other_windows
    busy = in_window >= settings.fan_history_ratio * usual
    segments: list[slice] = []
    for start, end in enumerate(ends):
        if not busy[start]:
            continue
        degree = len(set(spokes[start:end].tolist()))
        if degree < settings.min_fan_degree and not (degree >= 2 and block[start:end].any()):
            continue
        if segments and start < segments[-1].stop:
            segments[-1] = slice(segments[-1].start, max(segments[-1].stop, int(end)))
        else:
            segments.append(slice(start, int(end)))
    return segments


def _fan(t: _Transfers, kind: str, rows: np.ndarray, hub_side: str, partners: list[int]) -> str:
    spoke_side = "dst" if hub_side == "src" else "src"
    spoke_codes = t.dst[rows] if hub_side == "src" else t.src[rows]
    hub_accounts = _listed(sorted(set(t.parties(rows, hub_side))))
    spokes = _listed(sorted(set(t.parties(rows, spoke_side))))
    n_spokes = _count(len(set(spoke_codes.tolist())), "other customer")
    verb, prep = ("sent", "to") if kind == "fan_out" else ("received", "from")
    reason = (
        f"{hub_accounts} {verb} {_money(t, rows)} in {_count(len(rows), 'transfer')} {prep} "
        f"{n_spokes} within {_span(t, rows)}: {spokes}; all one-off, none a regular "
        f"{'payee' if kind == 'fan_out' else 'payer'}"
    )
    if partners:
        names = _listed([str(t.customer_ids[p]) for p in partners])
        reason += f"; {names} {verb} the same way {prep} the same customers in those days"
    return reason


# --------------------------------------------------------------------------------------------
# Pass-through
# --------------------------------------------------------------------------------------------


def _find_pass_throughs(t: _Transfers, settings: TypologySettings) -> list[_Found]:
    """Money in, then about as much out again within days, through one customer.

    Each transfer is a *leg* of the customer(s) of ours at its ends: money in or money out.
    A customer's legs in time order fall into runs of ins and runs of outs. Every run of
    outs is matched against the run of ins just before it: for each start in that in-run and
    each end in the out-run no more than ``pass_through_days`` later, money in (start to the
    end of the in-run) and money out (start of the out-run to the end) are compared, all
    pairs at once with cumulative sums. Of the pairs that match, the one with the most money
    in is kept. Money that goes back to where it came from is a refund, not a pass-through.
    Transfers of a standing relationship are no legs: paying staff out of client receipts
    is business, not layering. A match below ``pass_through_min_amount`` is kept only when
    one of its transfers is also a leg of another match (a chain of hand-ons).
    """
    n = len(t)
    is_in, is_out = (t.dst >= 0) & ~t.standing, (t.src >= 0) & ~t.standing
    legs = pd.DataFrame(
        {
            "customer": np.concatenate((t.dst[is_in], t.src[is_out])),
            "seconds": np.concatenate((t.seconds[is_in], t.seconds[is_out])),
            "out": np.concatenate((np.zeros(is_in.sum(), bool), np.ones(is_out.sum(), bool))),
            "row": np.concatenate((np.arange(n)[is_in], np.arange(n)[is_out])),
        }
    ).sort_values(["customer", "seconds", "out", "row"], kind="stable", ignore_index=True)
    customer = legs["customer"].to_numpy()
    seconds = legs["seconds"].to_numpy()
    out = legs["out"].to_numpy()
    row = legs["row"].to_numpy()
    amount = t.amount[row]
    if len(legs) < 2:
        return []

    # Runs: maximal stretches of one customer's legs in one direction.
    new_run = np.r_[True, (customer[1:] != customer[:-1]) | (out[1:] != out[:-1])]
    run = np.cumsum(new_run) - 1
    run_start = np.flatnonzero(new_run)
    run_stop = np.r_[run_start[1:], len(legs)]
    # Out-runs with an in-run of the same customer just before them.
    r_out = np.flatnonzero(out[run_start])
    r_out = r_out[r_out > 0]
    r_out = r_out[customer[run_start[r_out]] == customer[run_start[r_out - 1]]]
    if len(r_out) == 0:
        return []
    in_lo, in_hi = run_start[r_out - 1], run_stop[r_out - 1]
    out_lo, out_hi = run_start[r_out], run_stop[r_out]

    # Candidate starts: legs of those in-runs; for each, the outs within the window.
    counts = in_hi - in_lo
    pair = np.repeat(np.arange(len(r_out)), counts)
    start = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    start += in_lo[pair]
    horizon = seconds[start] + settings.pass_through_days * _DAY
    # Count the out-run's legs up to each start's horizon with one sorted search: runs are
    # spaced further apart on a single time line than any horizon reaches.
    stride = int(seconds.max() - seconds.min() + settings.pass_through_days * _DAY) + 1
    key = run.astype(np.int64) * stride + (seconds - seconds.min())
    probe = run[out_lo[pair]].astype(np.int64) * stride + (horizon - seconds.min()).astype(np.int64)
    within = np.minimum(np.searchsorted(key, probe, side="right"), out_hi[pair]) - out_lo[pair]
    keep = within > 0
    pair, start, within = pair[keep], start[keep], within[keep]
    if len(pair) == 0:
        return []
    cand = np.repeat(np.arange(len(pair)), within)
    end = np.arange(within.sum()) - np.repeat(np.cumsum(within) - within, within)
    end += out_lo[pair[cand]]
    pair, start = pair[cand], start[cand]

    total = np.r_[0.0, np.cumsum(amount)]
    money_in = total[in_hi[pair]] - total[start]
    money_out = total[end + 1] - total[out_lo[pair]]
    tol = settings.pass_through_tolerance
    match = (money_out >= (1 - tol) * money_in) & (money_out <= money_in)
    if not match.any():
        return []
    best = pd.DataFrame(
        {"pair": pair[match], "start": start[match], "end": end[match], "in": money_in[match]}
    ).sort_values(["pair", "in", "end"], ascending=[True, False, True], kind="stable")
    best = best.drop_duplicates("pair")

    candidates = []
    for p, s, e, money in zip(best["pair"], best["start"], best["end"], best["in"], strict=True):
        ins, outs = row[s : in_hi[p]], row[out_lo[p] : e + 1]
        if not set(t.src_party[ins].tolist()) & set(t.dst_party[outs].tolist()):
            candidates.append((int(customer[s]), ins, outs, float(money)))
    # A hand-on below the floor still counts when the money came from, or goes on to,
    # another hand-on: a chain of them is layering whatever the sums.
    received_from = {int(r): c for c, (_, _, outs, _) in enumerate(candidates) for r in outs}
    passed_to = {int(r): c for c, (_, ins, _, _) in enumerate(candidates) for r in ins}
    found = []
    for code, ins, outs, money in candidates:
        linked = {received_from[r] for r in ins.tolist() if r in received_from}
        linked |= {passed_to[r] for r in outs.tolist() if r in passed_to}
        if money < settings.pass_through_min_amount and not linked:
            continue
        chain = sorted({candidates[c][0] for c in linked} - {code})
        rows = np.sort(np.concatenate((ins, outs)))
        describe = partial(_pass_through, t, code, ins, outs, chain)
        found.append(_Found("pass_through", rows, describe))
    return found


def _pass_through(
    t: _Transfers, code: int, ins: np.ndarray, outs: np.ndarray, chain: list[int]
) -> str:
    rows = np.concatenate((ins, outs))
    money_in, money_out = t.amount[ins].sum(), t.amount[outs].sum()
    own_in = _listed(sorted(set(t.names(ins, "dst"))))
    own_out = _listed(sorted(set(t.names(outs, "src"))))
    sources = _listed(sorted(set(t.parties(ins, "src"))))
    targets = _listed(sorted(set(t.parties(outs, "dst"))))
    reason = (
        f"{t.customer_ids[code]} received {_money(t, ins)} into {own_in} from {sources} "
        f"({_count(len(ins), 'transfer')}) and sent {_money(t, outs)} "
        f"({money_out / money_in:.0%}) on from {own_out} to {targets} "
        f"({_count(len(outs), 'transfer')}) within {_span(t, rows)}"
    )
    if chain:
        names = _listed([str(t.customer_ids[c]) for c in chain])
        reason += f"; one link in a chain of such hand-ons with {names}"
    return reason


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


def _instances_frame(found: list[_Found], t: _Transfers) -> pd.DataFrame:
    """Number the instances per kind in time order and describe each in one row."""
    if found:
        t.load_names(np.concatenate([item.rows for item in found]))
    records = []
    for item in found:
        rows = item.rows
        codes = np.concatenate((t.src[rows], t.dst[rows]))
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


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _listed(names: list[str]) -> str:
    """Names joined with commas, the tail cut to "and N more" so a reason stays readable."""
    if len(names) <= _MAX_LISTED:
        return ", ".join(names)
    return f"{', '.join(names[:_MAX_LISTED])} and {len(names) - _MAX_LISTED} more"


def _money(t: _Transfers, rows: np.ndarray) -> str:
    """``"24,300 EUR"``; amounts in several currencies are added as they stand."""
    total = float(t.amount[rows].sum())
    currencies = sorted(set(t.currency_of(rows)))
    if len(currencies) == 1:
        return f"{total:,.0f} {currencies[0]}"
    if not currencies:
        return f"{total:,.0f}"
    return f"{total:,.0f} (in {', '.join(currencies)})"


def _span(t: _Transfers, rows: np.ndarray) -> str:
    """How long the transfers took: hours under two days, else days."""
    seconds = int(t.seconds[rows].max() - t.seconds[rows].min())
    if seconds < 2 * _DAY:
        hours = seconds / 3_600
        return f"{hours:.0f} hours" if hours >= 1.5 else "1 hour"
    return f"{seconds / _DAY:.1f} days"
