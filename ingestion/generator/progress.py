"""Progress of a generation run, reported through the caller's callback."""

from __future__ import annotations

from collections.abc import Callable

__all__ = [
    "Progress",
]


class Progress:
    """Calls the caller's progress callback with a monotone fraction per named step."""

    _STEPS = 18  # steps reported by generate_dataset, writes included

    def __init__(self, callback: Callable[[str, float], None] | None) -> None:
        self._callback = callback
        self._done = 0

    def __call__(self, step: str, *, final: bool = False) -> None:
        if self._callback is None:
            return
        fraction = 1.0 if final else min(self._done / self._STEPS, 0.99)
        self._done += 1
        self._callback(step, fraction)
