"""Money-laundering typologies on the transfer graph: cycles, fan-in, fan-out, pass-through.

Why: launderers move money in shapes that no single transaction gives away — round a ring of
accounts and back, from many mules into one account (or out to many), through an account that
keeps none of it. Each detector finds one shape on a snapshot's transactions and returns
*instances* an investigator can check by hand: the accounts, the amounts, the dates and a
plain-English reason that names them.

Shared rules:

* A customer's accounts are one node: money moved between two accounts of one customer is
  ignored, and money returning to any account of the customer it left has gone round.
* Transfers below :attr:`TypologySettings.min_amount` are everyday spending (coffee, pocket
  money, bills) and are ignored by every detector; they cannot launder meaningful sums. The
  floor, the pass-through floor and the windows follow the bank's own data (a quantile of
  the amounts its customers send each other, multiples of the usual gap between a
  customer's large transfers) unless the policy file's ``[typologies]`` sets them: the
  detectors find the shapes, not a currency's or a calendar's numbers.
* Cycles and fans look only at transfers between our own customers' accounts: a
  counterparty id (cash, an employer, another bank) lumps unrelated outside parties together.
  Pass-through also counts money from and to counterparties: cash in and a wire abroad is
  the classic conduit.

The package, one module per job:

=====================  ======================================================================
``settings``           :class:`TypologySettings`, the thresholds every detector reads
``thresholds``         :func:`derive_thresholds`: the amount floors and windows the bank's
                       own data imply (quantiles of its amounts, multiples of its rhythm)
``transfers``          the transfers worth looking at, built once from the snapshot's
                       :class:`~graphrisk.analytics.ledger.TransactionLedger`
``cycles``             the ``cycle`` detector
``fans``               the ``fan_out`` / ``fan_in`` detector
``pass_through``       the ``pass_through`` detector
``wording``            the plain-English pieces of every reason
``detect``             :func:`detect_typologies`: runs the detectors, numbers and counts
=====================  ======================================================================

A new detector is a module with a ``find_*`` function over ``Transfers`` and an entry in
:data:`~graphrisk.analytics.typologies.detect.DETECTORS`.

The detectors (details in each module):

``cycle``
    Money leaves a customer and returns through 2..``max_cycle_length - 1`` other customers,
    each hop later than the one before, the whole ring within ``window_days``, and the hops
    carrying comparable sums (the smallest at least ``cycle_amount_ratio`` of the largest, or
    each hop within ``cycle_hop_ratio`` of the one before: money decaying as each launderer
    keeps a cut).
``fan_out`` / ``fan_in``
    A customer sends to (receives from) at least ``min_fan_degree`` distinct other customers
    within ``fan_window_days`` (or a multiple of it, ``fan_window_multiples``, each against
    the hub's own pace), counting only one-off payees (payers); two suffice when
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


from graphrisk.analytics.typologies.detect import (
    DETECTORS,
    INSTANCE_COLUMNS,
    PER_CUSTOMER_COLUMNS,
    TYPOLOGY_KINDS,
    TypologyResult,
    detect_typologies,
)
from graphrisk.analytics.typologies.settings import DERIVABLE, TypologySettings
from graphrisk.analytics.typologies.thresholds import derive_thresholds

__all__ = [
    "DERIVABLE",
    "DETECTORS",
    "INSTANCE_COLUMNS",
    "PER_CUSTOMER_COLUMNS",
    "TYPOLOGY_KINDS",
    "TypologyResult",
    "TypologySettings",
    "derive_thresholds",
    "detect_typologies",
]
