"""GraphRisk's HTTP API and investigator page (FastAPI): ``graphrisk serve`` starts it.

Installed as ``graphrisk.api``; it imports ``graphrisk``, never the other way round (only the
CLI's ``serve`` and ``users`` commands import it, lazily).
"""

from graphrisk.api.app import create_app

__all__ = ["create_app"]
