"""The faces call the service: no scoring, policy or store composition left in the CLI/demo."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "graphrisk"
#: What only the service (and what it calls) may compose.
COMPOSITION = [
    r"\bscore_store\b", r"\bscore_customers\b", r"\bopen_store\b", r"graphrisk\.store\b",
    r"\bpredict_store\b", r"\btrain_on_store\b",
    r"\bexplain_store\b", r"\bingest_directory\b", r"\bScoringSettings\b",
    r"\bload_policy\b", r"policy_file or", r"\bconvert_(berka|fdcompcn)\b",
    r"\bgenerate_dataset\b", r"graphrisk\.models\.lifecycle",
]


@pytest.mark.parametrize("face", ["cli.py", "cli_monitoring.py", "demo.py"])
def test_faces_compose_nothing_themselves(face: str) -> None:
    source = (PACKAGE / face).read_text(encoding="utf-8")
    found = [pattern for pattern in COMPOSITION if re.search(pattern, source)]
    assert not found, f"{face} composes work the service owns: {found}"
