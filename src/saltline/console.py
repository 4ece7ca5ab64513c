"""Console output: whole lines, printed through one lock by the threads of a run."""

from __future__ import annotations

import sys
import threading
from typing import TextIO


class Console:
    """Thread-safe progress lines: workers for several minions print through one lock."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stdout  # as it is now, not when this module was imported
        self._lock = threading.Lock()

    def say(self, text: str) -> None:
        with self._lock:
            print(text, file=self.stream, flush=True)
