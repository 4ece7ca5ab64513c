"""Where saltline keeps what outlives a run: `$SALTLINE_CACHE`, else `~/.cache/saltline`.

Wheelhouses, formula mirrors and exported commits, generated top files.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    return Path(os.environ.get("SALTLINE_CACHE") or Path.home() / ".cache" / "saltline")
