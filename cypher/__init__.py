"""The Cypher statements, shipped as package data of ``graphrisk.cypher``.

This folder installs as ``graphrisk.cypher`` (see ``pyproject.toml``); the statements are read
through :mod:`importlib.resources` by :mod:`graphrisk.store.cypher_files`, so a built wheel
talks to Neo4j without a checkout.
"""
