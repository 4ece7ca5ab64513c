"""The pure parts of promotion: master URLs, the gate's verdict, batches and rollout verdicts."""

from __future__ import annotations

import json
import subprocess

import pytest

from saltline.config import Minion, Platform, Target
from saltline.master_url import parse_master_url
from saltline.promotion import gate
from saltline.promotion.rollout import batches, failures, would_change
from saltline.salt_results import parse_minion_returns


@pytest.mark.parametrize(
    ("url", "scheme", "host", "user", "port"),
    [
        ("docker://saltline-staging-master", "docker", "saltline-staging-master", None, 22),
        ("ssh://deploy@salt1.example.net", "ssh", "salt1.example.net", "deploy", 22),
        ("ssh://deploy@10.0.0.5:2222", "ssh", "10.0.0.5", "deploy", 2222),
    ],
)
def test_master_urls_parse(url, scheme, host, user, port):
    address = parse_master_url(url)
    assert (address.scheme, address.host, address.user, address.port) == (scheme, host, user, port)


@pytest.mark.parametrize(
    "url",
    [
        "salt1.example.net",
        "ssh://salt1.example.net",
        "ssh://deploy@host:99999",
        "http://x",
        "docker://",
    ],
)
def test_bad_master_urls_say_what_is_expected(url):
    with pytest.raises(ValueError, match=r"ssh://user@host\[:port\] or docker://name|out of range"):
        parse_master_url(url)


def test_batches_keep_order_and_size():
    assert batches(["a", "b", "c", "d", "e"], 2) == [["a", "b"], ["c", "d"], ["e"]]
    assert batches(["a"], 5) == [["a"]]
    assert batches([], 3) == []


def state(state_id: str, result, changes=None) -> dict:
    return {"__id__": state_id, "__sls__": "web", "result": result, "changes": changes or {},
            "comment": f"{state_id} said so", "__run_num__": 0}  # fmt: skip


def test_minion_returns_name_the_minions_that_did_not_return():
    stdout = json.dumps({
        "web1": {"pkg_|-nginx_|-nginx_|-installed": state("nginx", None, {"nginx": {"new": "1"}})},
        "web2": "Minion did not return. [Not connected]",
    })  # fmt: skip
    runs = parse_minion_returns(stdout, ["web1", "web2", "web3"])
    assert runs["web2"] is None and runs["web3"] is None
    assert would_change(runs) == {"web1": ["nginx"]}
    assert failures(runs) == {
        "web2": "did not return (down or disconnected)",
        "web3": "did not return (down or disconnected)",
    }


def test_failed_states_and_render_errors_fail_the_minion():
    stdout = json.dumps({
        "web1": {"file_|-site_|-/etc/x_|-managed": state("site", False)},
        "db1": ["Rendering SLS 'base:db' failed: Jinja variable 'x' is undefined"],
        "db2": {"file_|-ok_|-/etc/y_|-managed": state("ok", True)},
    })  # fmt: skip
    verdicts = failures(parse_minion_returns(stdout, ["web1", "db1", "db2"]))
    assert verdicts == {
        "web1": "state 'site' (file.managed) in SLS web failed: site said so",
        "db1": "Rendering SLS 'base:db' failed: Jinja variable 'x' is undefined",
    }


def record(shard: str | None) -> gate.PassRecord:
    return gate.PassRecord("a" * 40, "t", "3007.13", ["debian12"], ["web1"], "now", shard)


@pytest.mark.parametrize(
    ("shards", "passed"),
    [
        ([None], True),
        (["1/2", "2/2"], True),
        (["1/2"], False),
        (["1/3", "2/3", "1/2"], False),
        (["2/3", "1/3", "3/3"], True),
        ([], False),
    ],
)
def test_a_commit_passed_once_all_shards_of_a_split_did(shards, passed):
    assert gate.passed([record(s) for s in shards]) is passed


def test_passes_are_recorded_in_git_notes_and_files_and_read_back(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    for command in (["init", "-q"], ["config", "user.email", "a@b"], ["config", "user.name", "A"]):
        subprocess.run(["git", "-C", str(repo), *command], check=True)
    (repo / "f").write_text("x")
    subprocess.run(["git", "-C", str(repo), "add", "f"], check=True)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "c"], check=True)
    reports = tmp_path / "reports"
    platform = Platform("debian12", "bookworm", "debian:bookworm")
    web1 = Target(Minion("web1", ("web",), ("debian12",)), platform, "dev")
    db1 = Target(Minion("db1", ("db",), ("debian12",)), platform, "staging")
    first = gate.record(repo, reports, "3007.13", [web1], (1, 2))
    assert first is not None
    assert (first.minions, first.platforms, first.environments) == (["web1"], ["debian12"], ["dev"])
    assert gate.passed(gate.passes(repo, first.sha, reports)) is False
    gate.record(repo, reports, "3007.13", [db1], (2, 2))
    found = gate.passes(repo, first.sha, reports)
    assert gate.passed(found) is True
    assert sorted(r.shard for r in found if r.shard) == [
        "1/2",
        "1/2",
        "2/2",
        "2/2",
    ]  # notes + files
    (repo / "f").write_text("dirty")
    assert gate.record(repo, reports, "3007.13", [web1], None) is None
