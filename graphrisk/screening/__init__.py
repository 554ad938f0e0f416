"""Screening customers and counterparties against sanctions and watch lists.

``lists`` reads list files (CSV, FollowTheMoney JSON lines), ``names`` normalises names,
``matching`` finds the list entries a record matches and says why, and ``service`` keeps
versioned lists and hits in the store (``ScreeningService(risk_service)``).
"""

from graphrisk.screening.lists import ListEntry, ListFile, ListProblem, read_list_file
from graphrisk.screening.matching import Match, Matcher, ScreenedRecord, name_similarity
from graphrisk.screening.service import (
    ListLoad,
    ScreeningHit,
    ScreeningList,
    ScreeningRun,
    ScreeningService,
)

__all__ = [
    "ListEntry",
    "ListFile",
    "ListLoad",
    "ListProblem",
    "Match",
    "Matcher",
    "ScreenedRecord",
    "ScreeningHit",
    "ScreeningList",
    "ScreeningRun",
    "ScreeningService",
    "name_similarity",
    "read_list_file",
]
