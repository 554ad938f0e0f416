"""GraphRisk: find high-risk customers in a customer network, on a graph.

The core package imports neither a web framework nor a deep-learning library; those live in
``api/`` and ``models/``. Only ``graphrisk.store`` talks to a database.
"""

__version__ = "0.1.0"
