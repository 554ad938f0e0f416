"""The untuned pipeline on generator profiles: floors that hold today, and issue 14's bar.

Why: issue 14 asks that detection hold on banks unlike our generator's default (amounts in
hundreds, month-long typologies...) with no weight or threshold chosen per profile. These
tests run exactly what ``benchmarks/bench_robustness.py`` prints (they call its
:func:`measure_profile`), on a reduced bank (1,500 customers, seed 23), and assert:

* **floors**: what the pipeline achieves today, less a margin, so that a change that makes
  detection worse on these banks fails;
* **the bar** (ROC-AUC >= 0.93, recall >= 0.8 in the top 5%, planted cycles and fans
  recovered >= 80%, on the customers not told as known): met on every profile here since
  stop 29 (the ``unusual`` component; before it four recalls missed and were marked
  ``xfail(strict=True)``). A detector change that misses it again fails; if that is
  accepted, mark the case ``xfail(strict=True)`` with the figure, so that the day it is
  fixed strict turns the pass into a failure and the marker goes.

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
#: with the learned fusion over the individual, unusual, network, typology and cluster
#: components: default 0.992, 0.906, 1/1, 2/2; amounts_x0.01 0.985, 0.906, 1/1, 2/2;
#: wide_typologies 0.991, 0.887, 1/1, 2/2; accounts_only 0.991, 0.849, 1/1, 2/2; outside_like
#: 0.963, 0.817, 1/1, 2/2. Before the ``unusual`` component (stop 29) the recalls were 0.792,
#: 0.792, 0.755, 0.774 and 0.733, under the bar (with fixed typology thresholds amounts_x0.01
#: was 0.906, 0.528, 0/1, 0/2; with week-long fan windows only, wide_typologies found 0/2
#: fans). 53-60 risky customers per bank at this size: one customer is 0.02 of recall.
#: Floors sit below them.
FLOORS = [
    ("default", "roc_auc", 0.95),
    ("default", "recall_top5", 0.8),
    ("default", "cycles", 1.0),
    ("default", "fans", 1.0),
    ("amounts_x0.01", "roc_auc", 0.95),
    ("amounts_x0.01", "recall_top5", 0.8),
    ("amounts_x0.01", "cycles", 1.0),
    ("amounts_x0.01", "fans", 1.0),
    ("wide_typologies", "roc_auc", 0.95),
    ("wide_typologies", "recall_top5", 0.8),
    ("wide_typologies", "fans", 1.0),
    ("accounts_only", "roc_auc", 0.95),
    ("accounts_only", "recall_top5", 0.78),
    ("accounts_only", "fans", 1.0),
    ("outside_like", "roc_auc", 0.93),
    ("outside_like", "recall_top5", 0.75),
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


BAR_CASES = [
    pytest.param("default", "roc_auc"),
    pytest.param("default", "recall_top5"),
    pytest.param("default", "cycles"),
    pytest.param("default", "fans"),
    # Thresholds derived from the bank's own amounts: the cents bank is searched like the
    # default one (with a fixed 1,000 floor its few hundreds were all everyday spending).
    pytest.param("amounts_x0.01", "roc_auc"),
    pytest.param("amounts_x0.01", "recall_top5"),
    pytest.param("amounts_x0.01", "cycles"),
    pytest.param("amounts_x0.01", "fans"),
    pytest.param("wide_typologies", "roc_auc"),
    pytest.param("wide_typologies", "recall_top5"),
    pytest.param("wide_typologies", "cycles"),  # the one cycle at this size is short
    # Their fans spread 4 transfers over 17-30 days: found by the month-long fan window.
    pytest.param("wide_typologies", "fans"),
    pytest.param("accounts_only", "roc_auc"),
    pytest.param("accounts_only", "recall_top5"),
    pytest.param("accounts_only", "cycles"),
    pytest.param("accounts_only", "fans"),
    pytest.param("outside_like", "roc_auc"),
    pytest.param("outside_like", "recall_top5"),
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
    assert set(alone) == {"individual", "unusual", "network", "typology", "cluster"}
    for name, (roc, pr, _recall) in alone.items():
        assert figures.roc_auc >= roc, name
        assert figures.pr_auc >= pr, name
