"""SIGINT and SIGTERM inside a deferred section: noted and said, the second abandons it,
and the interruption goes on afterwards."""

from __future__ import annotations

import os
import signal

import pytest

from saltline import interrupts


def test_a_signal_waits_until_the_section_is_done_then_interrupts():
    said: list[str] = []
    done = []
    with (
        pytest.raises(KeyboardInterrupt) as raised,
        interrupts.deferred(said.append, "switching the masters back"),
    ):
        os.kill(os.getpid(), signal.SIGINT)
        done.append("the rest of the section")
    assert not isinstance(raised.value, interrupts.Abandoned)
    assert done == ["the rest of the section"]
    assert "SIGINT received while switching the masters back" in said[0]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back


def test_a_second_signal_abandons_the_section():
    done = []
    with (
        pytest.raises(interrupts.Abandoned),
        interrupts.deferred(lambda text: None, "switching the masters back"),
    ):
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGTERM)
        done.append("never")
    assert done == []


def test_no_signal_no_interruption():
    with interrupts.deferred(lambda text: None, "switching the masters back") as received:
        pass
    assert received == []
