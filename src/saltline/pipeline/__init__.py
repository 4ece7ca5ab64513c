"""Testing a commit: lint, render, converge, idempotence, verify, report."""
