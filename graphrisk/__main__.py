"""``python -m graphrisk`` runs the CLI."""

from graphrisk.cli import app

app()
