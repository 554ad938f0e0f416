"""The ``cycle`` detector: money that leaves a customer and comes back round a ring.

Money leaves a customer and returns through 2..``max_cycle_length - 1`` other customers, each
hop later than the one before, the whole ring within ``window_days``, and the hops carrying
comparable sums: the smallest at least ``cycle_amount_ratio`` of the largest, or each hop
within ``cycle_hop_ratio`` of the one before (a long ring whose launderers each keep a cut:
ten hops that each keep 88% end at a third of the first). A ring is rarely innocent, so this
is the most telling kind.

Reference:
    Kumar and Calders, "2SCENT: An Efficient Algorithm for Enumerating All Simple Temporal
    Cycles", VLDB (2018), for time-respecting cycles.
"""

from __future__ import annotations

import bisect
import logging
from collections import defaultdict
from functools import partial

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from graphrisk.analytics.ledger import DAY_SECONDS
from graphrisk.analytics.typologies.settings import TypologySettings
from graphrisk.analytics.typologies.transfers import Found, Transfers
from graphrisk.analytics.typologies.wording import count_text, money_text, span_text

__all__ = ["find_cycles"]

logger = logging.getLogger(__name__)


def find_cycles(t: Transfers, settings: TypologySettings) -> list[Found]:
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

    window = settings.window_days * DAY_SECONDS
    ratio, longest = settings.cycle_amount_ratio, settings.max_cycle_length
    hop_ratio = settings.cycle_hop_ratio
    steps = 0
    rings: list[list[int]] = []
    for first in rows:
        home, deadline = int(t.src[first]), t.seconds[first] + window
        amount = float(t.amount[first])
        # (customer reached, time of the hop there, customers before it, hops, min, max
        # amount, the last hop's amount, whether every hop was within hop_ratio of the last)
        stack: list[tuple[int, int, tuple[int, ...], tuple[int, ...], float, float, float,
                          bool]] = [
            (int(t.dst[first]), int(t.seconds[first]), (home,), (int(first),), amount, amount,
             amount, True)
        ]
        while stack:
            node, last, path, hops, low, high, previous, chained = stack.pop()
            times, targets = out.get(node, ([], []))
            for k in range(bisect.bisect_right(times, last), len(times)):
                steps += 1
                row = targets[k]
                if t.seconds[row] > deadline:
                    break
                nxt, hop = int(t.dst[row]), float(t.amount[row])
                lo, hi = min(low, hop), max(high, hop)
                link = chained and min(previous, hop) >= hop_ratio * max(previous, hop)
                if lo < ratio * hi and not link:
                    continue
                if nxt == home:
                    if len(path) >= 2:
                        rings.append([*hops, row])
                elif nxt not in path and len(path) + 1 < longest:
                    stack.append((nxt, times[k], (*path, node), (*hops, row), lo, hi, hop,
                                  link))
            if steps > settings.max_search_steps:
                logger.warning(
                    "cycle search stopped after %d steps; raise max_search_steps or "
                    "min_amount to search the rest",
                    steps,
                )
                stack.clear()
        if steps > settings.max_search_steps:
            break
    return [Found("cycle", ring, partial(_cycle, t, ring)) for ring in _merge_rings(t, rings)]


def _merge_rings(t: Transfers, rings: list[list[int]]) -> list[np.ndarray]:
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


def _cycle(t: Transfers, rows: np.ndarray) -> str:
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
        f"({count_text(len(rows), 'transfer')}, {money_text(t, rows)}) within {span_text(t, rows)}"
    )
