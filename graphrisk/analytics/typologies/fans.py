"""The ``fan_out`` and ``fan_in`` detector: a burst of one-off transfers to or from many.

A customer sends to (receives from) at least ``min_fan_degree`` distinct other customers
within ``fan_window_days`` (or a multiple of it, ``fan_window_multiples``: a month-long
campaign), counting only one-off payees (payers); two suffice when another customer paid
(was paid by) the same two in those days, a bipartite block. One detector for both
directions: a fan-in is a fan-out with the ends swapped.
"""

from __future__ import annotations

from collections import defaultdict
from functools import partial

import numpy as np
import pandas as pd

from graphrisk.analytics.ledger import DAY_SECONDS
from graphrisk.analytics.typologies.settings import TypologySettings
from graphrisk.analytics.typologies.transfers import Found, Transfers
from graphrisk.analytics.typologies.wording import count_text, list_text, money_text, span_text

__all__ = ["find_fans"]


def find_fans(t: Transfers, settings: TypologySettings) -> list[Found]:
    """Bursts of one-off transfers from one customer to many others, or from many to one.

    For each direction, a transfer is left out when its two customers have a standing
    relationship (see :class:`Transfers`); then a sliding window of ``fan_window_days``
    from each remaining transfer of a hub counts the distinct customers at the other end,
    and overlapping windows that reach ``min_fan_degree`` merge into one instance. A window
    with only two counts when its hub is part of a bipartite block (:func:`_blocks`).
    """
    one_off = np.flatnonzero((t.src >= 0) & (t.dst >= 0) & ~t.standing)
    window = settings.fan_window_days * DAY_SECONDS
    period = float(t.seconds.max() - t.seconds.min()) if len(t) else 0.0
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
            segments = _fan_segments(t.seconds[rows], spokes, block, period, settings)
            for segment in segments:
                fan = rows[segment]
                others = sorted({p for row in fan.tolist() for p in partners.get(row, ())})
                describe = partial(_fan, t, kind, fan, hub_side, others)
                found.append(Found(kind, fan, describe))
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
    period: float,
    settings: TypologySettings,
) -> list[slice]:
    """Maximal runs of one hub's transfers covered by windows with enough distinct spokes
    (``min_fan_degree``, or two where a transfer in the window belongs to a block) and
    well above the hub's usual pace, at each window length of ``fan_window_multiples``.

    The usual pace at a length is the hub's transfers outside the window per other window
    of that length in the snapshot (at least one such window). The shortest length goes
    first; a longer one only adds runs that overlap nothing found already, so that a burst
    found in a week is not stretched over the month around it (whoever else the hub paid
    that month is no spoke of the burst).
    """
    segments: list[slice] = []
    for multiple in sorted(set(settings.fan_window_multiples) | {1.0}):
        window = multiple * settings.fan_window_days * DAY_SECONDS
        other_windows = max((period - window) / window, 1.0)
        ends = np.searchsorted(seconds, seconds + window, side="right")
        in_window = ends - np.arange(len(ends))
        usual = (len(ends) - in_window) / other_windows
        busy = in_window >= settings.fan_history_ratio * usual
        found_before = list(segments)
        runs: list[slice] = []
        for start in np.flatnonzero(busy & (in_window >= 2)).tolist():
            end = int(ends[start])
            degree = len(set(spokes[start:end].tolist()))
            if degree < settings.min_fan_degree and not (degree >= 2 and block[start:end].any()):
                continue
            if runs and start < runs[-1].stop:
                runs[-1] = slice(runs[-1].start, max(runs[-1].stop, end))
            else:
                runs.append(slice(start, end))
        segments += [run for run in runs
                     if not any(run.start < seen.stop and seen.start < run.stop
                                for seen in found_before)]
    return sorted(segments, key=lambda run: run.start)


def _fan(t: Transfers, kind: str, rows: np.ndarray, hub_side: str, partners: list[int]) -> str:
    spoke_side = "dst" if hub_side == "src" else "src"
    spoke_codes = t.dst[rows] if hub_side == "src" else t.src[rows]
    hub_accounts = list_text(sorted(set(t.parties(rows, hub_side))))
    spokes = list_text(sorted(set(t.parties(rows, spoke_side))))
    n_spokes = count_text(len(set(spoke_codes.tolist())), "other customer")
    verb, prep = ("sent", "to") if kind == "fan_out" else ("received", "from")
    reason = (
        f"{hub_accounts} {verb} {money_text(t, rows)} in "
        f"{count_text(len(rows), 'transfer')} {prep} "
        f"{n_spokes} within {span_text(t, rows)}: {spokes}; all one-off, none a regular "
        f"{'payee' if kind == 'fan_out' else 'payer'}"
    )
    if partners:
        names = list_text([str(t.customer_ids[p]) for p in partners])
        reason += f"; {names} {verb} the same way {prep} the same customers in those days"
    return reason
