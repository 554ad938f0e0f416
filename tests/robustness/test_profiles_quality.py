"""The untuned pipeline on generator profiles: floors that hold today, and issue 14's bar.

Why: issue 14 asks that detection hold on banks unlike our generator's default (amounts in
hundreds, month-long typologies...) with no weight or threshold chosen per profile. These
tests run exactly what ``benchmarks/bench_robustness.py`` prints (they call its
:func:`measure_profile`), on a reduced bank (1,500 customers, seed 23), and assert:

* **floors**: what the pipeline achieves today, less a margin, so that a change that makes
  detection worse on these banks fails;
* **the bar** (ROC-AUC >= 0.93, recall >= 0.8 in the top 5%, planted cycles and fans
  recovered >= 80%, on the customers not told as known): a plain test where today's pipeline
  meets it, ``xfail(strict=True)`` where it misses. The day a detector is fixed, its xfail
  passes, strict turns that into a failure, and the marker must go — the table in
  ``docs/robustness.md`` should be re-measured then.

At this size a bank holds one planted cycle and two fans, so recovery is all or nothing;
the benchmark at 5,000 customers (and ``--seeds``) gives the finer figures.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_robustness.py"
CUSTOMERS = 1_500
SEED = 23


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_robustness", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _load_bench()


@pytest.fixture(scope="module")
def measured(bench: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Figures per profile, measured once per module (each run takes a second or two)."""
    cache: dict[str, Any] = {}

    def figures(profile: str) -> Any:
        if profile not in cache:
            work = tmp_path_factory.mktemp(profile.replace(".", "_"))
            cache[profile] = bench.measure_profile(profile, CUSTOMERS, SEED, work,
                                                   compare=True)
        return cache[profile]

    return figures


def _value(figures: Any, metric: str) -> float:
    return {
        "roc_auc": figures.roc_auc,
        "recall_top5": figures.recall_top5,
        "cycles": figures.cycles_share,
        "fans": figures.fans_share,
    }[metric]


#: Today's figures at 1,500 customers, seed 23 (ROC-AUC, recall in the top 5%, cycles, fans),
#: with the learned fusion: default 0.978, 0.792, 1/1, 2/2; amounts_x0.01 0.977, 0.792, 1/1,
#: 2/2 (with fixed typology thresholds 0.906, 0.528, 0/1, 0/2); wide_typologies 0.976, 0.755,
#: 1/1, 2/2 (with week-long fan windows only 0.966, 0.698, 1/1, 0/2); accounts_only 0.925,
#: 0.774, 1/1, 2/2; outside_like 0.947, 0.733, 1/1, 2/2 (week-long fan windows only 0.902,
#: 0.617, 1/1, 0/2; fixed thresholds 0.854, 0.450, 0/1, 0/2). 53-60 risky customers per
#: bank at this size: one customer is 0.02 of recall. Floors sit below them.
FLOORS = [
    ("default", "roc_auc", 0.88),
    ("default", "recall_top5", 0.6),
    ("default", "cycles", 1.0),
    ("default", "fans", 1.0),
    ("amounts_x0.01", "roc_auc", 0.93),
    ("amounts_x0.01", "recall_top5", 0.7),
    ("amounts_x0.01", "cycles", 1.0),
    ("amounts_x0.01", "fans", 1.0),
    ("wide_typologies", "roc_auc", 0.88),
    ("wide_typologies", "recall_top5", 0.65),
    ("wide_typologies", "fans", 1.0),
    ("accounts_only", "roc_auc", 0.88),
    ("accounts_only", "recall_top5", 0.6),
    ("accounts_only", "fans", 1.0),
    ("outside_like", "roc_auc", 0.9),
    ("outside_like", "recall_top5", 0.6),
    ("outside_like", "cycles", 1.0),
    ("outside_like", "fans", 1.0),
]


@pytest.mark.parametrize("profile, metric, floor", FLOORS)
def test_the_pipeline_keeps_what_it_achieves_today(
    measured: Any, profile: str, metric: str, floor: float
) -> None:
    figures = measured(profile)
    assert figures.quarantined == 0
    assert _value(figures, metric) >= floor


def _missed(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(
        strict=True,
        reason=f"issue 14 bar missed today: {reason}; when this passes, the detector is "
        "fixed: remove the marker and re-measure docs/robustness.md",
    )


BAR_CASES = [
    pytest.param("default", "roc_auc"),
    pytest.param("default", "recall_top5", marks=_missed("0.792 in the top 5%")),
    pytest.param("default", "cycles"),
    pytest.param("default", "fans"),
    # Thresholds derived from the bank's own amounts: the cents bank is searched like the
    # default one (with a fixed 1,000 floor its few hundreds were all everyday spending).
    pytest.param("amounts_x0.01", "roc_auc"),
    pytest.param("amounts_x0.01", "recall_top5", marks=_missed("0.792, as the default bank")),
    pytest.param("amounts_x0.01", "cycles"),
    pytest.param("amounts_x0.01", "fans"),
    pytest.param("wide_typologies", "roc_auc"),
    pytest.param("wide_typologies", "recall_top5", marks=_missed("0.755 in the top 5%")),
    pytest.param("wide_typologies", "cycles"),  # the one cycle at this size is short
    # Their fans spread 4 transfers over 17-30 days: found by the month-long fan window.
    pytest.param("wide_typologies", "fans"),
    pytest.param("outside_like", "roc_auc"),
    pytest.param("outside_like", "recall_top5", marks=_missed("0.733 in the top 5%")),
    pytest.param("outside_like", "cycles"),
    pytest.param("outside_like", "fans"),
]


@pytest.mark.parametrize("profile, metric", BAR_CASES)
def test_the_issue_bar(bench: ModuleType, measured: Any, profile: str, metric: str) -> None:
    assert _value(measured(profile), metric) >= bench.BAR[metric]


@pytest.mark.parametrize("profile", ["default", "amounts_x0.01", "wide_typologies",
                                     "accounts_only", "outside_like"])
def test_the_fused_score_is_at_least_as_good_as_its_best_component(
        bench: ModuleType, measured: Any, profile: str) -> None:
    """Issue 14, item 3: the fusion must not lose what one component knows."""
    figures = measured(profile)
    alone = {name: values for name, *values in figures.alternatives
             if name != bench.NOISY_OR}
    assert set(alone) == {"individual", "network", "typology", "cluster"}
    for name, (roc, pr, _recall) in alone.items():
        assert figures.roc_auc >= roc, name
        assert figures.pr_auc >= pr, name
