"""The typology detectors' thresholds, in one frozen value every detector reads.

Why a module of its own: each detector module imports it, and the orchestration
(:mod:`graphrisk.analytics.typologies.detect`) passes one instance to all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from graphrisk.policy import DEFAULT_REPORTING_THRESHOLD

__all__ = ["DERIVABLE", "TypologySettings"]

#: The thresholds that follow the bank's own data unless set: amounts in its reporting
#: currency, windows in days (see :mod:`graphrisk.analytics.typologies.thresholds`).
DERIVABLE: tuple[str, ...] = (
    "min_amount",
    "pass_through_min_amount",
    "window_days",
    "fan_window_days",
    "pass_through_days",
)


@dataclass(frozen=True)
class TypologySettings:
    """Thresholds of the typology detectors; the defaults say why they are what they are.

    The amount floors and the time windows (:data:`DERIVABLE`) follow the bank's own data:
    when the detectors run, each one named in ``from_data`` is replaced by a value derived
    from the snapshot's transfers (:func:`~graphrisk.analytics.typologies.thresholds.
    derive_thresholds`), so a bank that counts in cents or whose launderers take weeks is
    searched on its own scale. The numbers below are what a bank whose customers move about
    a thousand euros a month sees; they are used only where the data are too thin to derive
    from (a hand-built bank of a dozen transfers) or where the caller set them.

    Attributes:
        window_days: a cycle must close within this many days of its first hop. Two weeks
            lets a ring of eight hops at a day or so each close (AMLSim's rings take 2-36
            hours a hop), yet is short enough that unrelated payments rarely line up.
        max_cycle_length: most customers in one ring (the first counted once). AMLSim's
            rings and the long layering rings of outside banks reach ten; each extra hop
            multiplies the search, which the window and the sums' comparability keep small.
        cycle_amount_ratio: the smallest hop of a ring must carry at least this share of the
            largest, so that it is plausibly the same money going round (each launderer keeps
            a cut of a few percent, not half).
        cycle_hop_ratio: a ring whose sums fall further than ``cycle_amount_ratio`` still
            counts when each hop carries at least this share of the hop before (or at most
            its inverse): money decaying hop by hop as every launderer keeps a cut of up to
            a quarter, which over ten hops leaves well under half.
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
        fan_window_multiples: a fan is also looked for in windows this many times
            ``fan_window_days`` long, each against the hub's usual pace over windows of
            that length. Mules recruited for a month-long campaign spread a few one-off
            transfers over weeks, never three in one week, yet the hub that usually sees
            none in a month stands out just as clearly; a busy hub's pace grows with the
            window, so the longer windows do not make a shop a fan.
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
        amount_quantile: derived ``min_amount``: this quantile of the amounts customers send
            each other. Most person-to-person transfers are everyday: a shared bill, a gift,
            pocket money. Four in five of them are taken as that, whatever the currency;
            the top fifth is where a sum worth laundering must sit, since a launderer moving
            smaller sums has to move so many that the fan detector sees a burst.
        pass_through_quantile: derived ``pass_through_min_amount``: this quantile of the
            same amounts. A pass-through on its own (not a link of a chain) must move a sum
            among the largest twentieth the bank's customers send each other; the old fixed
            floor (half the reporting threshold) sat at about that quantile of our bank.
        window_multiple: derived ``window_days``: this many times the bank's rhythm, the
            median gap between a customer's consecutive transfers of at least ``min_amount``
            (a month where large sums are salaries and rent, hours in a trading book). Money
            that comes back round before its customers would usually move another large sum
            is going round, not income and spending; episodes that take weeks in a bank whose
            rhythm is monthly are still found.
        burst_fraction: derived ``fan_window_days`` and ``pass_through_days``: this share of
            the bank's rhythm. A burst of one-off transfers, or money passed on, inside a
            quarter of the usual interval between two large sums is faster than the
            customer's own pace (a week where the rhythm is monthly).
        from_data: the :data:`DERIVABLE` thresholds to derive from the data. ``None``: every
            one still at the default shown here (a value the caller set is kept). Derived
            settings name those they derived, so a stored run says which numbers came from
            the data.
    """

    window_days: float = 14.0
    max_cycle_length: int = 10
    cycle_amount_ratio: float = 0.5
    cycle_hop_ratio: float = 0.75
    min_amount: float = 1_000.0
    fan_window_days: float = 7.0
    fan_window_multiples: tuple[float, ...] = (1.0, 2.0, 4.0)
    min_fan_degree: int = 3
    fan_history_ratio: float = 3.0
    recurring_days: float = 25.0
    pass_through_days: float = 7.0
    pass_through_tolerance: float = 0.1
    pass_through_min_amount: float = DEFAULT_REPORTING_THRESHOLD / 2
    max_search_steps: int = 2_000_000
    amount_quantile: float = 0.8
    pass_through_quantile: float = 0.95
    window_multiple: float = 1.0
    burst_fraction: float = 0.25
    from_data: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.from_data is None:
            defaults = {f.name: f.default for f in fields(self)}
            chosen = tuple(n for n in DERIVABLE if getattr(self, n) == defaults[n])
            object.__setattr__(self, "from_data", chosen)
        else:
            object.__setattr__(self, "from_data", tuple(self.from_data))
        unknown = sorted(set(self.from_data or ()) - set(DERIVABLE))
        if unknown:
            raise ValueError(f"from_data: {unknown} cannot be derived; choose from {DERIVABLE}")
        for name in ("amount_quantile", "pass_through_quantile", "burst_fraction"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0:
                raise ValueError(f"{name} must be in (0, 1), got {value}")
        if not self.window_multiple > 0:
            raise ValueError(f"window_multiple must be positive, got {self.window_multiple}")
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
        object.__setattr__(self, "fan_window_multiples",
                           tuple(float(m) for m in self.fan_window_multiples))
        if not self.fan_window_multiples or min(self.fan_window_multiples) <= 0:
            raise ValueError("fan_window_multiples must be positive numbers, got "
                             f"{self.fan_window_multiples}")
        if self.min_amount < 0:
            raise ValueError(f"min_amount must not be negative, got {self.min_amount}")
        if self.max_cycle_length < 3:
            raise ValueError(f"max_cycle_length must be at least 3, got {self.max_cycle_length}")
        if self.min_fan_degree < 2:
            raise ValueError(f"min_fan_degree must be at least 2, got {self.min_fan_degree}")
        if not 0.0 < self.cycle_hop_ratio <= 1.0:
            raise ValueError(f"cycle_hop_ratio must be in (0, 1], got {self.cycle_hop_ratio}")
        if not 0.0 < self.cycle_amount_ratio <= 1.0:
            raise ValueError(f"cycle_amount_ratio must be in (0, 1], got {self.cycle_amount_ratio}")
        if not 0.0 <= self.pass_through_tolerance < 1.0:
            raise ValueError(
                f"pass_through_tolerance must be in [0, 1), got {self.pass_through_tolerance}"
            )

