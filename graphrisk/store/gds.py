"""The network algorithms inside Neo4j, with Graph Data Science (GDS 2.13).

Why: on Neo4j the customer network can be far larger than a Python snapshot should hold. This
engine projects the customer graph into GDS's in-memory graph catalogue straight from the
stored nodes and relationships (Cypher aggregation projections, ``cypher/gds/project_*``),
runs the algorithms there, and brings back only one or two numbers per customer. It answers
the same questions as :class:`graphrisk.analytics.network.PythonNetworkEngine`, on the same
graph (:mod:`graphrisk.analytics.customer_graph`), so either engine can serve scoring and
their answers can be compared (``tests/integration/test_engines_agree.py``).

How each answer maps onto GDS:

* **propagated risk** — ``gds.pageRank.stream`` on the weighted customer graph with the seeds
  as ``sourceNodes``. GDS iterates ``x = (1 - d) * 1_S + d * P^T x`` and, like
  :func:`graphrisk.analytics.propagation.propagate_risk`, lets customers without links keep
  what they hold (no dangling redistribution). GDS 2.13 accepts a *set* of source nodes, not
  ``[node, weight]`` pairs (those came later), so seeds with different weights are handled by
  linearity: one PageRank pass per distinct seed weight ``w`` over the seeds ``S_w`` that
  carry it, summed as ``sum_w w * x(S_w)``. That is exactly the personalised PageRank with
  teleport proportional to the weights; the usual case (every known-risk customer weighs 1)
  is one pass. The sum is divided by its total, as the Python engine does.
* **identity rings** — ``gds.wcc.stream`` on the customer graph restricted to shared
  identifiers, keeping components of two or more customers.
* **money communities** — ``gds.louvain.stream`` on the amount-weighted payment graph.
  Louvain is a heuristic and GDS's implementation is not igraph's, so communities agree
  closely but not exactly with the Python engine. GDS Louvain has no resolution parameter
  (only Leiden has ``gamma``) and no random seed; it runs single-threaded here so that the
  same graph always gives the same communities.

Groups from either algorithm are renamed after their smallest member
(:func:`graphrisk.analytics.network.groups_named_by_smallest_member`). Each projection has a
name unique to the run and is dropped as soon as its algorithm has run, also when it fails,
so that nothing is left in the server's memory.

A run that is killed (``kill -9``, a lost terminal, a crash of the machine) cannot drop its
projection, and GDS keeps it until the server stops. So each projection's name also says
whose it is — ``graphrisk_<kind>_<host>_<pid>_<run>`` (:func:`projection_name`) — and every
:meth:`GdsNetworkEngine.analyse` first drops GraphRisk's projections whose owner is gone
(:func:`stale_projections`): those of a process of this host that no longer runs, and any
other GraphRisk projection older than :data:`STALE_AFTER_SECONDS` (another host's, whose
process cannot be checked from here, or one named before owners were recorded).
"""

from __future__ import annotations

import logging
import os
import re
import socket
import time
import uuid
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from graphrisk.analytics.network import (
    NetworkResult,
    NetworkSettings,
    groups_named_by_smallest_member,
)

if TYPE_CHECKING:  # the store hands itself in (Neo4jGraphStore.in_database_network_engine)
    from graphrisk.store.neo4j import Neo4jGraphStore

__all__ = ["GdsNetworkEngine", "PROJECTION_PREFIX", "STALE_AFTER_SECONDS", "projection_name",
           "stale_projections"]

logger = logging.getLogger(__name__)

#: PageRank: a node stops passing on score once its change in one step is below this. GDS's
#: defaults (1e-7, at most 20 iterations) stop far from the fixed point; with 1e-12 no score
#: is further from the exact answer than 4e-10 of the largest score (measured on 100,000
#: customers, where it takes about 160 iterations).
PAGE_RANK_TOLERANCE = 1e-12
#: PageRank: an upper bound only, far above what convergence to the tolerance takes.
PAGE_RANK_MAX_ITERATIONS = 1_000
#: Louvain: levels of aggregation and local-moving iterations per level. Higher than GDS's
#: defaults (10 and 10) so that, like igraph, it runs until no move improves modularity.
LOUVAIN_MAX_LEVELS = 20
LOUVAIN_MAX_ITERATIONS = 50
#: Louvain: the least modularity gain that counts as an improvement (GDS default 1e-4).
LOUVAIN_TOLERANCE = 1e-7

#: Every projection GraphRisk makes starts with this.
PROJECTION_PREFIX = "graphrisk_"
#: A GraphRisk projection whose owner cannot be checked from here is dropped once it is this
#: old. A projection lives for one algorithm (seconds; minutes on the largest graphs), so a
#: day-old one belongs to no running scoring.
STALE_AFTER_SECONDS = 24 * 3600
#: ``graphrisk_<kind>_h<host>_p<pid>_<run>``: host a checksum of this machine (_host_tag).
_OWNED_NAME = re.compile(
    rf"{PROJECTION_PREFIX}(?P<kind>[a-z_]+?)_h(?P<host>[0-9a-f]{{8}})_p(?P<pid>\d+)_"
    r"(?P<run>[0-9a-f]{32})")


def _host_tag() -> str:
    """This machine, as 8 hex digits: its name and, where there is one, its machine id."""
    try:
        machine = Path("/etc/machine-id").read_text().strip()
    except OSError:
        machine = ""
    return f"{zlib.crc32(f'{socket.gethostname()}/{machine}'.encode()):08x}"


def projection_name(kind: str, *, pid: int | None = None) -> str:
    """A fresh projection name that says which process (of which host) owns it.

    Args:
        kind: what is projected, e.g. ``customer_graph``.
        pid: the owning process (default: this one).
    """
    return (f"{PROJECTION_PREFIX}{kind}_h{_host_tag()}_p{os.getpid() if pid is None else pid}"
            f"_{uuid.uuid4().hex}")


def _process_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it runs
        return True
    return True


def stale_projections(graphs: Mapping[str, float]) -> list[str]:
    """The GraphRisk projections among ``graphs`` whose owner is gone.

    Args:
        graphs: projection name -> its age in seconds (the GDS catalogue).

    Returns:
        Sorted names: projections of a process of this host that no longer runs, and any
        GraphRisk projection older than :data:`STALE_AFTER_SECONDS` (another host's, whose
        process cannot be checked from here; one whose process id was reused). Graphs that
        are not GraphRisk's are never listed.
    """
    host = _host_tag()
    stale = []
    for name, age in graphs.items():
        if not name.startswith(PROJECTION_PREFIX):
            continue
        owner = _OWNED_NAME.fullmatch(name)
        gone = (owner is not None and owner["host"] == host
                and not _process_runs(int(owner["pid"])))
        if gone or age >= STALE_AFTER_SECONDS:
            stale.append(name)
    return sorted(stale)


class GdsNetworkEngine:
    """The network algorithms run by GDS inside the Neo4j that ``store`` is connected to.

    Args:
        store: an open Neo4j store on a server with the GDS plugin.

    Attributes:
        timings: seconds spent in each step of the last :meth:`analyse` (projections and
            algorithms), for benchmarks and logs.
    """

    name = "gds"

    def __init__(self, store: Neo4jGraphStore) -> None:
        self._store = store
        self.timings: dict[str, float] = {}

    def analyse(self, seeds: Mapping[str, float], settings: NetworkSettings) -> NetworkResult:
        """Propagate risk from ``seeds`` and find identity rings and money communities.

        Args:
            seeds: customer id -> seed weight; ids not stored and weights <= 0 are ignored.
            settings: the same knobs the Python engine takes.

        Returns:
            The :class:`NetworkResult` (``engine="gds"``), indexed by customer id in order.

        Raises:
            ValueError: a setting is out of range, or asks for a Louvain resolution other
                than 1 (GDS Louvain has none).
            StoreError: GDS refused a statement (the error names it); no projection is left.
        """
        _check(settings)
        self.timings = {}
        self.drop_stale_projections()
        customer_links = {"weights": dict(settings.weights),
                          "max_degree": settings.max_identifier_degree, "all_customers": True}
        # The customer and money graphs come from one statement (each paying pair is found
        # once for both), so both projections live until the end of the run.
        with self._projection("customer_graph", "gds/project_customer_and_money_graphs",
                              customer_links, also="money_graph") as (graph, money_graph):
            risk = self._propagate(graph, seeds, settings)
            ring_links = {"weights": settings.identifier_weights(),
                          "max_degree": settings.max_identifier_degree, "all_customers": False}
            with self._projection("ring_graph", "gds/project_customer_graph",
                                  ring_links) as (ring_graph, _):
                rings = self._groups("rings", "gds/stream_connected_components", ring_graph,
                                     {}, "ring_id")
            communities = self._groups(
                "communities", "gds/stream_louvain_communities", money_graph,
                {"max_levels": LOUVAIN_MAX_LEVELS, "max_iterations": LOUVAIN_MAX_ITERATIONS,
                 "tolerance": LOUVAIN_TOLERANCE, "concurrency": 1},
                "community_id")
        return NetworkResult(risk, rings, communities, self.name)

    def drop_stale_projections(self) -> list[str]:
        """Drop GraphRisk's projections left by runs that are gone (see :func:`stale_projections`).

        Returns:
            The names dropped.
        """
        rows = self._store.read_rows("gds/list_graphs", {"prefix": PROJECTION_PREFIX})
        ages = {row["graph_name"]: float(row["age_seconds"]) for row in rows}
        databases = {row["graph_name"]: row["database"] for row in rows}
        stale = stale_projections(ages)
        for graph in stale:
            self._store.read_rows("gds/drop_graph",
                                  {"graph_name": graph, "database": databases[graph]})
            logger.warning("dropped GDS projection %s, left by a scoring run that is gone",
                           graph)
        return stale

    @contextmanager
    def _projection(self, kind: str, statement: str, params: Mapping[str, Any], *,
                    also: str | None = None) -> Iterator[tuple[str | None, str | None]]:
        """Project a graph under a fresh name; drop it on the way out, whatever happens.

        Yields the graph's name, or ``None`` when there was nothing to project (GDS makes no
        graph from zero rows, e.g. rings when no identifier weight is set); and, for a
        statement that projects a second graph (``also``: its kind, named by
        ``$money_graph_name``), that graph's name or ``None``.
        """
        graph = projection_name(kind)
        second = projection_name(also) if also is not None else None
        names = {"graph_name": graph} if second is None else {"graph_name": graph,
                                                              "money_graph_name": second}
        try:
            started = time.perf_counter()
            row = self._store.read_rows(statement, {**params, **names})[0]
            self.timings[f"project_{kind}" if also is None else
                         f"project_{kind}_and_{also}"] = time.perf_counter() - started
            logger.info("projected %s: %s nodes, %s relationships", kind, row["node_count"],
                        row["relationship_count"])
            yield ((graph if row["graph_name"] is not None else None),
                   (second if second is not None and row.get("money_graph_name") is not None
                    else None))
        finally:
            for name in (graph, second):
                if name is not None:
                    self._store.read_rows("gds/drop_graph", {"graph_name": name,
                                                             "database": ""})

    def _propagate(self, graph: str | None, seeds: Mapping[str, float],
                   settings: NetworkSettings) -> pd.Series:
        started = time.perf_counter()
        by_weight: dict[float, list[str]] = {}
        for customer, weight in seeds.items():
            if weight > 0 and graph is not None:
                by_weight.setdefault(float(weight), []).append(str(customer))
        total: pd.Series | None = None
        for weight, members in sorted(by_weight.items()):
            row = self._store.read_rows("gds/stream_page_rank", {
                "graph_name": graph, "seeds": members, "damping": settings.damping,
                "max_iterations": PAGE_RANK_MAX_ITERATIONS, "tolerance": PAGE_RANK_TOLERANCE,
            })[0]
            if not row["customer_ids"]:  # none of these seeds is a stored customer
                continue
            scores = pd.Series(row["scores"], index=pd.Index(row["customer_ids"], dtype=object),
                               dtype=float)
            total = weight * scores if total is None else total + weight * scores
        self.timings["page_rank"] = time.perf_counter() - started
        if total is None or total.sum() == 0:
            ids = sorted(self._store.existing_ids("customers"))
            return pd.Series(0.0, index=pd.Index(ids, dtype=object), name="propagated_risk")
        risk = (total / total.sum()).sort_index()
        return risk.rename("propagated_risk")

    def _groups(self, step: str, statement: str, graph: str | None,
                params: Mapping[str, Any], name: str) -> pd.Series:
        started = time.perf_counter()
        row = ({"customer_ids": [], "group_ids": []} if graph is None else
               self._store.read_rows(statement, {**params, "graph_name": graph})[0])
        self.timings[step] = time.perf_counter() - started
        labels = pd.Series(row["group_ids"], index=pd.Index(row["customer_ids"], dtype=object),
                           name=name, dtype="int64")
        return groups_named_by_smallest_member(labels.sort_index())


def _check(settings: NetworkSettings) -> None:
    """Refuse settings GDS would reject late (or not at all), with the reason."""
    if not 0.0 < settings.damping < 1.0:
        raise ValueError("damping must be between 0 and 1")
    if settings.max_identifier_degree < 2:
        raise ValueError("max_identifier_degree must be at least 2")
    if settings.louvain_resolution != 1.0:
        raise ValueError(
            "GDS Louvain has no resolution parameter; use louvain_resolution=1.0 with the "
            "gds engine, or the python engine for another resolution")
    if any(w < 0 for w in settings.weights.values()):
        raise ValueError("link weights must not be negative")
