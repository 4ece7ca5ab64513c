"""Signals while saltline puts things back: an undo must not be cut short by a second one.

A CI cancel sends SIGINT, then SIGTERM seconds later; the first starts a promotion's
undo, the second would abort it half-way (masters split, no outcome audited). Inside
`deferred()`, SIGINT and SIGTERM are noted and said, not raised; one more ends it with
`Abandoned`, so a user who really means it is not held hostage. Afterwards the
interruption goes on (`KeyboardInterrupt`).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Abandoned(KeyboardInterrupt):
    """A further signal during a deferred section: the user asked twice to stop it."""


@contextlib.contextmanager
def deferred(say: Callable[[str], None], what: str) -> Iterator[list[int]]:
    """Defer SIGINT and SIGTERM while `what` runs (the signals noted are yielded); the
    second one raises Abandoned. After the section, a noted signal raises
    KeyboardInterrupt. Outside the main thread, signals cannot be handled: no deferral."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def note(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        name = signal.Signals(signum).name
        if len(received) > 1:
            raise Abandoned
        say(f"saltline: {name} received while {what}; finishing that first (send it again to "
            "abandon it, which leaves what is not done yet)")  # fmt: skip

    previous = {number: signal.getsignal(number) for number in SIGNALS}
    for number in SIGNALS:
        signal.signal(number, note)
    try:
        yield received
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if received:
        raise KeyboardInterrupt
