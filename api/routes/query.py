"""Read-only Cypher for fraud teams: their own questions, never a change to the data."""

from __future__ import annotations

from fastapi import APIRouter

from graphrisk.api.deps import Investigator, ServiceDep
from graphrisk.api.presenting import audit_shown, graph_of_query, plain
from graphrisk.api.schemas import QueryIn, QueryPublic

router = APIRouter(prefix="/api", tags=["query"])


@router.post("/query", response_model=QueryPublic, summary="Run a read-only Cypher query",
             responses={403: {"description": "The query would write, change the schema, "
                              "load files or call an unsafe procedure; it did not run."},
                        400: {"description": "Syntax error or missing parameter."},
                        501: {"description": "The embedded store does not speak Cypher."},
                        504: {"description": "The query ran past the time limit."}})
def run_query(body: QueryIn, user: Investigator, service: ServiceDep) -> QueryPublic:
    """Runs the query in a read transaction with a time limit and a row limit, after the
    database's own plan showed it only reads. Answers the rows as a table and every node
    and relationship in them as a graph."""
    settings = service.settings
    limit = min(body.row_limit or settings.api_query_row_limit, settings.api_query_row_limit)
    result = service.read_only_query(body.cypher, body.parameters,
                                     timeout_s=settings.api_query_timeout_s, row_limit=limit,
                                     actor=user.name)
    return QueryPublic(columns=list(result.columns),
                       rows=[[plain(v) for v in row] for row in result.rows],
                       graph=audit_shown(service, user.name, False, "query.read", None,
                                         graph_of_query(service, result, masked=False)),
                       truncated=result.truncated)
