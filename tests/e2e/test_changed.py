"""`saltline test --changed`: the whole estate linted and rendered, only the affected
targets converged; the others reported as not run, and no pass recorded."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import ESTATE, saltline


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=e2e", "-c", "user.email=e2e@example.test",
         *args],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "estate"
    shutil.copytree(ESTATE, repo, ignore=shutil.ignore_patterns("__pycache__"))
    (repo / ".gitignore").write_text("__pycache__/\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "estate")
    return repo


def test_a_change_to_one_roles_sls_converges_only_its_minion(repo, tmp_path):
    """…and renders only that minion again: the others' renders, and the base's, are
    reused. A comment alone renders as before: nothing is converged for it."""
    first = saltline("render", estate=repo, reports=tmp_path / "first")
    assert first.exit_code == 0, first.output
    good = repo / "salt" / "roles" / "good.sls"
    good.write_text(good.read_text() + "\n# a comment renders as before\n")
    git(repo, "commit", "-qam", "a comment")
    comment = saltline("test", "--changed", "HEAD~1", estate=repo, reports=tmp_path / "comment")
    assert comment.exit_code == 0, comment.output
    assert comment.results["targets"] == [] and len(comment.results["not_run"]) == 4
    good.write_text(
        good.read_text().replace(
            "    - name: /etc/motd\n", '    - name: /etc/motd\n    - mode: "0640"\n'
        )
    )
    git(repo, "commit", "-qam", "the motd's mode")
    run = saltline("test", "--changed", "HEAD~1", estate=repo, reports=tmp_path / "reports")
    assert run.exit_code == 0, run.output
    results = run.results
    assert [t["minion"] for t in results["targets"]] == ["good1"]
    assert results["not_run"] == {
        f"dev/{name}@debian12/salt3007.13": "not affected by the change (--changed)"
        for name in ("broken1", "flappy1", "slow1")
    }
    assert [s["stage"] for s in results["estate"]] == ["lint", "render"]
    assert len(results["estate"][1]["cases"]) == 4  # every minion rendered…
    assert "(3 reused: nothing they use changed)" in run.output  # …or reused
    good1 = "dev/good1@debian12/salt3007.13"
    assert results["selected"] == {good1: "rendered impact: 1 state, 0 files, 0 pillar keys"}
    changed = results["impact"]["targets"][good1]["states_changed"]
    assert [(s["id"], s["arguments"]) for s in changed] == [
        ("good-motd-file-managed", ['added mode: "0640"'])
    ]
    assert "recorded a pass" not in run.output
    summary = (tmp_path / "reports" / "summary.md").read_text()
    assert "- dev/slow1@debian12/salt3007.13: not affected by the change (--changed)" in summary


def test_a_base_that_does_not_resolve_says_what_to_fetch(repo, tmp_path):
    run = saltline("test", "--changed", "origin/nosuch", estate=repo, reports=tmp_path)
    assert run.exit_code == 2
    assert "base 'origin/nosuch' does not name a commit here; fetch it" in run.output
