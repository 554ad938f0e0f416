"""Convert the FDCompCN financial-statement fraud graph into GraphRisk's input files.

Why: FDCompCN (Wu et al., "SplitGNN: Spectral Graph Neural Network for Fraud Detection
against Heterophily", CIKM 2023) is a real, labelled, multi-relation graph of Chinese listed
companies with a published train / validation / test split and published GNN results, so
GraphRisk's own pipeline (ingestion, store, snapshot, :mod:`models`) can be measured against
them. The data set, its arrays and its caveats are described in
``shared/datasets/fdcompcn/README.md``; cite SplitGNN, and do not redistribute the data (it
comes from the commercial CSMAR database and carries no licence).

Mapping (FDCompCN array -> GraphRisk file), with the reasons:

* nodes -> ``customers.csv``: ``customer_id`` is ``CO<node>`` (four digits, so that id order
  is node order); ``name`` ``Company <node>`` (the data is anonymous and the format requires a
  name); ``segment`` ``corporate`` and ``country`` ``CN`` (listed companies in Shanghai,
  Shenzhen and Beijing); ``kyc_status`` ``verified`` (listed companies are known parties);
  ``onboarding_date`` ``2020-01-01`` for everyone, the first day of the period the data covers
  (2020-2023): the data records no dates, and one common date gives every company the same
  tenure, so tenure carries no signal rather than a made-up one. ``industry``, ``region``,
  ``credit_score``, ``annual_income`` and ``birth_year`` stay empty (the data has none).
  ``known_risk_label`` ``fraud`` with ``known_risk_source`` ``csmar_regulator_violations``
  (more than three regulator-disclosed violations: inflated profits or assets, false
  statements, late disclosure, omissions, irregular accounting) for label-1 companies **of the
  splits the caller names** (``label_splits``); every other company's label stays empty,
  which the format reads as *unknown*. An evaluation writes only the training and validation
  labels, so no test label is ever in the store.
* one account per company -> ``accounts.csv``: ``AC<node>``, owned by ``CO<node>``,
  ``business``, ``CNY``, opened ``2020-01-01``, ``active``. The format hangs money flows off
  accounts, so each company needs one.
* the three relations -> ``transactions.csv`` between the companies' accounts, in the stored
  direction (``src`` -> ``dst``; the README notes the authors' naming of supply and sale is
  ambiguous, and GraphRisk's models read both directions anyway):

  =============  ======  ====================  =========  ==============================
  relation       id      ``transaction_type``  channel    meaning
  =============  ======  ====================  =========  ==============================
  ``invest_bc``  ``IN``  ``transfer``          ``other``  investment (paper: C-I-C)
  ``provide_bc`` ``PR``  ``payment``           ``other``  supply (paper: C-S-C or C-P-C)
  ``sale_bc``    ``SA``  ``payment``           ``other``  sales (paper: C-P-C or C-S-C)
  =============  ======  ====================  =========  ==============================

  ``transaction_id`` is ``<id>-<src>-<dst>-<k>``, ``k`` counting repeats: the arrays list some
  pairs several times (267 investment, 247 supply and 405 sales repeats), which are kept, so a
  pair's transaction count says how often the data lists the relation. The relation is kept
  exactly in the id prefix; the type says only investment or trade. Self-loops are dropped
  (nearly every company carries one in every relation; they relate a company to itself).
  ``amount`` is a **placeholder**, ``1.00`` CNY: a relation has no amount, and one unit per
  relation makes totals count relations; amount-based signals (large payments, round amounts,
  structuring) mean nothing here. ``timestamp`` is the placeholder ``2023-12-31T00:00:00``,
  the end of the period; time-based signals (velocity, odd hours) mean nothing either. The
  union relation ``homo`` is not written: it is the union of the three.

  Why transactions rather than shared identifiers: investment, supply and sales are directed
  business flows between two parties, which is what ``TRANSFERRED`` relationships model and
  what the customer-graph analytics and the GNN's money-flow edges read; an identifier is an
  attribute several customers share (a phone, a device), undirected and untyped, and would
  turn each relation into a node of its own.
* the 57 node features -> ``customer_features.csv``: ``f0`` ... ``f56`` (the names were not
  released), one row per company and feature, values as released (already scaled to
  ``[0, 1]``).

:func:`read_fdcompcn_nodes` gives every company's id, label and split (``train``, ``valid``,
``test``; 2,126 / 1,053 / 2,138), for training on the authors' split and scoring on its test
companies.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from graphrisk.config import read_settings
from graphrisk.domain import ACCOUNTS, CUSTOMER_FEATURES, CUSTOMERS, TRANSACTIONS
from graphrisk.errors import IngestionError
from graphrisk.ingestion.input_files import write_input_file

__all__ = [
    "FDCOMPCN_FOLDER",
    "RELATIONS",
    "SPLITS",
    "FdcompcnSummary",
    "convert_fdcompcn",
    "customer_ids",
    "default_fdcompcn_dir",
    "find_fdcompcn_dir",
    "read_fdcompcn_nodes",
]

logger = logging.getLogger(__name__)

FDCOMPCN_FOLDER = "fdcompcn"
ARRAYS_FILE = "fdcompcn.npz"
#: The authors' splits, by the names of their masks.
SPLITS: tuple[str, ...] = ("train", "valid", "test")
#: Relation array -> (transaction id prefix, transaction_type).
RELATIONS: dict[str, tuple[str, str]] = {
    "invest_bc": ("IN", "transfer"),
    "provide_bc": ("PR", "payment"),
    "sale_bc": ("SA", "payment"),
}
START_DATE = "2020-01-01"
END_TIMESTAMP = "2023-12-31T00:00:00"
PLACEHOLDER_AMOUNT = 1.0
CURRENCY = "CNY"
COUNTRY = "CN"
RISK_SOURCE = "csmar_regulator_violations"
FEATURES = 57


@dataclass(frozen=True)
class FdcompcnSummary:
    """What :func:`convert_fdcompcn` wrote.

    Attributes:
        rows: rows written per entity (file stem -> count).
        labelled: companies written with ``known_risk_label`` ``fraud``.
        label_splits: the splits whose labels were written.
        notes: what was dropped, kept or invented, with counts, for the caller to show.
    """

    rows: dict[str, int]
    labelled: int
    label_splits: tuple[str, ...]
    notes: tuple[str, ...]


def default_fdcompcn_dir() -> Path:
    """``$GRAPHRISK_DATASETS_DIR/fdcompcn`` (default ``<repo>/../shared/datasets/fdcompcn``)."""
    return read_settings().datasets_path / FDCOMPCN_FOLDER


def find_fdcompcn_dir() -> Path | None:
    """The FDCompCN folder, or ``None`` where it (or its ``fdcompcn.npz``) is absent."""
    candidate = default_fdcompcn_dir()
    if (candidate / ARRAYS_FILE).is_file():
        return candidate
    logger.info("FDCompCN data set not found at %s", candidate)
    return None


def customer_ids(nodes: np.ndarray | pd.Series) -> pd.Series:
    """The customer id of each node number: ``CO0000`` ... ``CO5316``."""
    return pd.Series([f"CO{int(n):04d}" for n in np.asarray(nodes)], dtype=object)


def read_fdcompcn_nodes(source_dir: Path) -> pd.DataFrame:
    """Every company: ``customer_id``, ``label`` (1 fraud, 0 not) and the authors' ``split``.

    Raises:
        IngestionError: ``fdcompcn.npz`` is missing or lacks an array.
    """
    arrays = _read_arrays(Path(source_dir))
    n = len(arrays["label"])
    split = np.full(n, "", dtype=object)
    for name in SPLITS:
        split[arrays[f"{name}_mask"].astype(bool)] = name
    if (split == "").any():
        raise IngestionError(f"{int((split == '').sum())} FDCompCN nodes are in no split",
                             source=ARRAYS_FILE)
    return pd.DataFrame({"customer_id": customer_ids(np.arange(n)),
                         "label": arrays["label"].astype(np.int64), "split": split})


def convert_fdcompcn(source_dir: Path, out_dir: Path, *,
                     label_splits: Collection[str] = SPLITS) -> FdcompcnSummary:
    """Convert FDCompCN in ``source_dir`` into GraphRisk input CSVs in ``out_dir``.

    Writes ``customers``, ``customer_features``, ``accounts`` and ``transactions`` (``.csv``),
    each with exactly its spec's columns in spec order. See the module docstring.

    Args:
        source_dir: the folder holding ``fdcompcn.npz``.
        out_dir: where to write; created if missing, existing files are replaced.
        label_splits: the splits (``train``, ``valid``, ``test``) whose fraud labels are
            written; the other companies are written without a label. An evaluation passes
            ``("train", "valid")``.

    Returns:
        Rows written per entity, how many companies carry the label, and notes.

    Raises:
        ValueError: ``label_splits`` names an unknown split.
        IngestionError: the arrays are missing or malformed.
    """
    unknown = sorted(set(label_splits) - set(SPLITS))
    if unknown:
        raise ValueError(f"unknown FDCompCN splits {unknown}; the splits are {list(SPLITS)}")
    started = time.perf_counter()
    source_dir, out_dir = Path(source_dir), Path(out_dir)
    arrays = _read_arrays(source_dir)
    nodes = read_fdcompcn_nodes(source_dir)
    features = arrays["features"]
    if features.shape != (len(nodes), FEATURES):
        raise IngestionError(f"features have shape {features.shape}, expected "
                             f"({len(nodes)}, {FEATURES})", source=ARRAYS_FILE)
    labelled = (nodes["label"] == 1) & nodes["split"].isin(list(label_splits))
    notes: list[str] = []
    frames = {
        "customers": _customers(nodes, labelled),
        "customer_features": _features(nodes, features),
        "accounts": _accounts(nodes),
        "transactions": _transactions(arrays, len(nodes), notes),
    }
    hidden = int(((nodes["label"] == 1) & ~labelled).sum())
    notes.append(f"fraud labels written for splits {sorted(label_splits)}: "
                 f"{int(labelled.sum())} companies; {hidden} fraud labels left out")
    notes.append("amounts (1.00 CNY), timestamps (2023-12-31) and onboarding dates "
                 "(2020-01-01) are placeholders: the data has none")
    out_dir.mkdir(parents=True, exist_ok=True)
    specs = (CUSTOMERS, CUSTOMER_FEATURES, ACCOUNTS, TRANSACTIONS)
    rows = {spec.name: write_input_file(frames[spec.name], spec, out_dir) for spec in specs}
    logger.info("converted FDCompCN %s -> %s in %.2f s: %s", source_dir, out_dir,
                time.perf_counter() - started, rows)
    return FdcompcnSummary(rows=rows, labelled=int(labelled.sum()),
                           label_splits=tuple(s for s in SPLITS if s in label_splits),
                           notes=tuple(notes))


# --- private -------------------------------------------------------------------------------


def _read_arrays(source_dir: Path) -> dict[str, np.ndarray]:
    path = source_dir / ARRAYS_FILE
    if not path.is_file():
        raise IngestionError(f"FDCompCN arrays not found at {path}; see "
                             "shared/datasets/fdcompcn/README.md", source=str(path))
    wanted = ("features", "label", *(f"{s}_mask" for s in SPLITS),
              *(f"edge_index_{r}" for r in RELATIONS))
    with np.load(path) as archive:
        missing = [name for name in wanted if name not in archive.files]
        if missing:
            raise IngestionError(f"{path.name} lacks the arrays {missing}", source=str(path))
        return {name: archive[name] for name in wanted}


def _customers(nodes: pd.DataFrame, labelled: pd.Series) -> pd.DataFrame:
    ids = nodes["customer_id"]
    return pd.DataFrame({
        "customer_id": ids,
        "name": "Company " + ids.str.slice(2),
        "segment": "corporate",
        "country": COUNTRY,
        "kyc_status": "verified",
        "onboarding_date": START_DATE,
        "known_risk_label": np.where(labelled, "fraud", ""),
        "known_risk_source": np.where(labelled, RISK_SOURCE, ""),
    })


def _features(nodes: pd.DataFrame, features: np.ndarray) -> pd.DataFrame:
    n, width = features.shape
    return pd.DataFrame({
        "customer_id": np.repeat(nodes["customer_id"].to_numpy(), width),
        "feature": np.tile([f"f{j}" for j in range(width)], n),
        "value": features.astype(np.float64).ravel(),
    })


def _accounts(nodes: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "account_id": "AC" + nodes["customer_id"].str.slice(2),
        "customer_id": nodes["customer_id"],
        "account_type": "business",
        "currency": CURRENCY,
        "opened_date": START_DATE,
        "status": "active",
    })


def _transactions(arrays: dict[str, np.ndarray], n: int, notes: list[str]) -> pd.DataFrame:
    parts = []
    for relation, (prefix, kind) in RELATIONS.items():
        src, dst = arrays[f"edge_index_{relation}"].astype(np.int64)
        if len(src) and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= n):
            raise IngestionError(f"{relation} names a node outside 0..{n - 1}",
                                 source=ARRAYS_FILE)
        loops = src == dst
        edges = pd.DataFrame({"src": src[~loops], "dst": dst[~loops]})
        repeat = edges.groupby(["src", "dst"]).cumcount()
        source, target = customer_ids(edges["src"]), customer_ids(edges["dst"])
        parts.append(pd.DataFrame({
            "transaction_id": (prefix + "-" + source.str.slice(2) + "-" + target.str.slice(2)
                               + "-" + repeat.astype(str).to_numpy()),
            "from_account_id": "AC" + source.str.slice(2),
            "to_account_id": "AC" + target.str.slice(2),
            "amount": PLACEHOLDER_AMOUNT,
            "currency": CURRENCY,
            "timestamp": END_TIMESTAMP,
            "channel": "other",
            "transaction_type": kind,
        }))
        notes.append(f"{relation}: {len(edges):,} edges written ({int((repeat > 0).sum()):,} "
                     f"repeats kept), {int(loops.sum()):,} self-loops dropped")
    return pd.concat(parts, ignore_index=True)
