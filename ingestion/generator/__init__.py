"""Synthetic bank data with planted high-risk typologies and a hidden ground truth.

Why: GraphRisk's detectors, models and demos need a customer graph whose risky customers are
known, at any scale, without real customer data. :func:`generate_dataset` writes one file per
entity of :mod:`graphrisk.domain` (the same format a bank would deliver) and, beside them, the
answer key in ``truth/`` that a detector must never read.

The data is ordinary banking (salaries, bills, card purchases, transfers, cash, loans) with
known risk patterns planted in it:

* identity rings (customers sharing phones, devices, addresses, IPs),
* the eight AMLSim money-laundering patterns (fan-in, fan-out, cycle, bipartite, stack,
  random, scatter-gather, gather-scatter; Suzumura & Kanezashi, *AMLSim*, IBM 2021),
* structuring just under the reporting threshold, dispute-heavy clusters, account takeover,
  high-risk industry or country profiles with pass-through flows,

and benign look-alikes (households, payrolls, honest high-risk-industry businesses) so that a
detector cannot score well by flagging every dense pattern. Only some risky customers carry a
``known_risk_label``, as in a real bank.

Everything is vectorised with numpy and written with pyarrow, so 100,000 customers (about a
million transactions) take a few seconds; the only Python loops run once per planted group or
over small lookup tables.

The package, one concern a module:

* :mod:`.lookups`: lookup tables (countries, names, industries...); the high-risk lists and the
  reporting threshold come from :mod:`graphrisk.policy`.
* :mod:`.draws`: the fixed one-year period and the random draws.
* :mod:`.world`: the state being generated (customers, accounts, truth, ledger...).
* :mod:`.customers`, :mod:`.accounts`: the population; :mod:`.behaviour`: ordinary banking.
* :mod:`.registry`: one entry per planted typology (plan, roles, planter, known label), with
  the planters in :mod:`.planters`; :mod:`.groups` draws the groups and the known labels.
* :mod:`.identifiers`: identifier and account-change texts.
* :mod:`.columns`, :mod:`.tables`, :mod:`.truth`, :mod:`.writers`: the entity tables, the
  answer key, and writing them as CSV or Parquet.
* :mod:`.pipeline`: :func:`generate_dataset`, which runs the steps in their fixed order.
* :mod:`.profiles`: generator profiles (:data:`PROFILES`) — banks unlike the default one in
  amount scale, time resolution, typology spans and shapes, the data held, background
  traffic or the share of known labels — for the robustness benchmark.
* :mod:`.stream`: :func:`generate_stream`, a later stream of small event batches over a
  generated base, with planted shapes (:mod:`.stream_shapes`) and background noise that
  raises no alert, and its answer key ``stream_truth.json``; :mod:`.stream_base` reads the
  base, :mod:`.stream_rules` says which payment rules each tier would fire.
"""

from __future__ import annotations

from .lookups import (
    HIGH_RISK_COUNTRIES,
    HIGH_RISK_INDUSTRIES,
    REPORTING_THRESHOLD,
)
from .pipeline import (
    MIN_CUSTOMERS,
    GenerationSummary,
    generate_dataset,
)
from .profiles import DEFAULT_PROFILE, PROFILES, Profile
from .registry import (
    AML_PATTERNS,
    LOOKALIKE_TYPOLOGIES,
    NORMAL_TYPOLOGY,
    RISKY_TYPOLOGIES,
    TYPOLOGIES,
    KnownLabel,
    Typology,
)
from .stream import SHAPE_KINDS, STREAM_TRUTH_FILE, StreamSummary, generate_stream
from .tables import GENERATED_ENTITIES

__all__ = [
    "AML_PATTERNS",
    "DEFAULT_PROFILE",
    "GENERATED_ENTITIES",
    "GenerationSummary",
    "HIGH_RISK_COUNTRIES",
    "HIGH_RISK_INDUSTRIES",
    "KnownLabel",
    "LOOKALIKE_TYPOLOGIES",
    "MIN_CUSTOMERS",
    "NORMAL_TYPOLOGY",
    "PROFILES",
    "Profile",
    "REPORTING_THRESHOLD",
    "RISKY_TYPOLOGIES",
    "SHAPE_KINDS",
    "STREAM_TRUTH_FILE",
    "StreamSummary",
    "TYPOLOGIES",
    "Typology",
    "generate_dataset",
    "generate_stream",
]
