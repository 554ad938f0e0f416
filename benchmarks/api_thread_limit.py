"""An experiment for ``bench_api.py --serve``: GraphRisk's app with anyio's thread limiter
(the pool FastAPI runs sync routes in; 40 by default) set to ``BENCH_API_THREADS``.

    BENCH_API_THREADS=4 PYTHONPATH=benchmarks python benchmarks/bench_api.py --think 0 \\
        --serve "{bin}/uvicorn --factory api_thread_limit:create_app --port {port}"
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from graphrisk.api.app import create_app as graphrisk_app


def create_app() -> FastAPI:
    app = graphrisk_app()
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(running: FastAPI) -> AsyncIterator[object]:
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = int(os.environ.get("BENCH_API_THREADS", "40"))
        async with inner(running) as state:
            yield state

    app.router.lifespan_context = lifespan  # type: ignore[assignment]
    return app
