"""Shipping a tested commit: the gate, releases on masters, rollouts, the local fleet."""
