"""The bad-input campaign of issue 11: each case a test, on both stores where it touches one.

Property-based tests take their number of examples from ``GRAPHRISK_PROPERTY_EXAMPLES``
(50 by default, what ``make test`` and CI run); ``make fuzz`` runs them with many more.
"""

from __future__ import annotations

import os

#: Examples per Hypothesis property: bounded in CI, raised by ``make fuzz``.
PROPERTY_EXAMPLES = int(os.environ.get("GRAPHRISK_PROPERTY_EXAMPLES", "50"))
