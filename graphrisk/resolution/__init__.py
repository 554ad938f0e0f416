"""Entity resolution: the same person behind several customer records.

``records`` builds the comparable records (names normalised as screening does),
``linkage`` scores blocked pairs with Splink's Fellegi–Sunter model (weights estimated
without labels), ``reasons`` says which fields agreed, and ``service`` keeps the pairs and
investigators' decisions in the store (``RiskService.resolution``).
"""

from graphrisk.resolution.linkage import LinkageResult, link_records
from graphrisk.resolution.reasons import pair_reasons
from graphrisk.resolution.records import person_records
from graphrisk.resolution.service import (
    PAIR_KIND,
    ResolutionRun,
    ResolutionService,
    SameEntityPair,
    pair_key,
)

__all__ = [
    "PAIR_KIND",
    "LinkageResult",
    "ResolutionRun",
    "ResolutionService",
    "SameEntityPair",
    "link_records",
    "pair_key",
    "pair_reasons",
    "person_records",
]
