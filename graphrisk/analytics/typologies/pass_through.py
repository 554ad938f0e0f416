"""The ``pass_through`` detector: money in, then about as much out again within days.

A run of money in, then a run of money out within ``pass_through_days``: out between
``1 - pass_through_tolerance`` times in and in, in at least ``pass_through_min_amount`` (any
size when the money came from or goes on to another pass-through: a chain), and passed on to
parties other than those it came from (else it is a refund). Unlike cycles and fans it also
counts money from and to counterparties: cash in and a wire abroad is the classic conduit.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from graphrisk.analytics.ledger import DAY_SECONDS
from graphrisk.analytics.typologies.settings import TypologySettings
from graphrisk.analytics.typologies.transfers import Found, Transfers
from graphrisk.analytics.typologies.wording import count_text, list_text, money_text, span_text

__all__ = ["find_pass_throughs"]


def find_pass_throughs(t: Transfers, settings: TypologySettings) -> list[Found]:
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
    horizon = seconds[start] + settings.pass_through_days * DAY_SECONDS
    # Count the out-run's legs up to each start's horizon with one sorted search: runs are
    # spaced further apart on a single time line than any horizon reaches.
    stride = int(seconds.max() - seconds.min() + settings.pass_through_days * DAY_SECONDS) + 1
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
        found.append(Found("pass_through", rows, describe))
    return found


def _pass_through(
    t: Transfers, code: int, ins: np.ndarray, outs: np.ndarray, chain: list[int]
) -> str:
    rows = np.concatenate((ins, outs))
    money_in, money_out = t.amount[ins].sum(), t.amount[outs].sum()
    own_in = list_text(sorted(set(t.names(ins, "dst"))))
    own_out = list_text(sorted(set(t.names(outs, "src"))))
    sources = list_text(sorted(set(t.parties(ins, "src"))))
    targets = list_text(sorted(set(t.parties(outs, "dst"))))
    reason = (
        f"{t.customer_ids[code]} received {money_text(t, ins)} into {own_in} from {sources} "
        f"({count_text(len(ins), 'transfer')}) and sent {money_text(t, outs)} "
        f"({money_out / money_in:.0%}) on from {own_out} to {targets} "
        f"({count_text(len(outs), 'transfer')}) within {span_text(t, rows)}"
    )
    if chain:
        names = list_text([str(t.customer_ids[c]) for c in chain])
        reason += f"; one link in a chain of such hand-ons with {names}"
    return reason
