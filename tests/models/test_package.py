"""The models package's face: lazy exports, and graphrisk never importing it."""

from __future__ import annotations

import subprocess
import sys


def test_importing_models_is_cheap_and_exports_resolve() -> None:
    code = ("import sys, graphrisk.models; assert 'torch' not in sys.modules; "
            "from graphrisk.models import TrainConfig, build_graph_dataset; "
            "assert TrainConfig().model == 'sage'; assert 'torch' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_graphrisk_does_not_import_models() -> None:
    code = ("import sys, graphrisk.scoring, graphrisk.analytics.factors; "
            "assert not any(m.startswith(('graphrisk.models', 'graphrisk.ingestion', "
            "'graphrisk.api')) for m in sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)
