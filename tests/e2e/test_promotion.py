"""Promotion end to end: a copy of the reference estate in its own git repository, promoted
to a local fleet (staging: two salt-masters sharing their minion, Salt's multi-master;
prod: one), all talking over ZeroMQ.

The tests run in file order and build on each other, as a team's week would.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from saltline import config
from saltline.cache import cache_dir
from saltline.promotion import gate, signing
from saltline.promotion.pass_records import PassRecord
from tests.e2e.conftest import REPO, saltline
from tests.e2e.fleet_estate import commit, estate_with_fleet, exec_in, git, served, write_in
from tests.e2e.test_containers import host_binds
from tests.infra.test_web import GET

FLEET = {
    "staging": ["saltline-e2e-staging-master", "saltline-e2e-staging-master2"],
    "prod": ["saltline-e2e-prod-master"],
}
MASTERS = {env: names[0] for env, names in FLEET.items()}  # the one minions are named after
SITES = {"staging": "shop.staging.example.test", "prod": "shop.example.test"}


def page(environment: str) -> str:
    """The shop's page over HTTPS on the fleet's web1, as test_web fetches it."""
    ca = (REPO / "tests" / "secrets" / "test-ca.pem").read_text()
    fetch = exec_in(
        f"{MASTERS[environment]}-web1", "python3", "-c", GET, SITES[environment], "443", "/", ca
    )
    return fetch.stdout


def releases(environment: str) -> list[str]:
    """What `current` points at on each master of the environment."""
    return served(FLEET[environment])


def current_release(environment: str) -> str:
    """The one release every master of the environment serves."""
    served = set(releases(environment))
    assert len(served) == 1, f"{environment} is split: {releases(environment)}"
    return served.pop()


def pillar_get(master: str, key: str) -> str:
    """web1's pillar value for `key`, as `master` gives it now."""
    done = exec_in(master, "salt", "--out=json", "--static", "web1", "pillar.get", key)
    return json.loads(done.stdout)["web1"]


def pillar_message(environment: str) -> str:
    """The shop message the live master gives web1 now."""
    return pillar_get(MASTERS[environment], "shop:message")


def live_changes(environment: str) -> list[str]:
    """The state IDs a highstate of web1 through the live master would change now."""
    done = exec_in(MASTERS[environment], "salt", "--out=json", "--static", "web1",
                   "state.apply", "test=True")  # fmt: skip
    states = json.loads(done.stdout)["web1"]
    return sorted(s["__id__"] for s in states.values() if s["result"] is None or s["changes"])


def set_message(repo: Path, environment: str, text: str) -> None:
    path = repo / "pillar" / "environments" / environment / "shop.sls"
    changed = re.sub(r"(?m)^    message: .*$", f"    message: {text}", path.read_text(), count=1)
    assert changed != path.read_text()
    path.write_text(changed)


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """The estate in a git repository of its own, and its fleet, removed afterwards."""
    with estate_with_fleet(tmp_path_factory.mktemp("estate"), FLEET, formula=True) as repo:
        yield repo


def promote(repo: Path, *args: str):
    return saltline("promote", *args, estate=repo, reports=repo / "reports")


def test_an_untested_commit_is_refused(repo):
    run = promote(repo, "staging")
    assert run.exit_code == 1
    assert "has no recorded pass" in run.output
    assert current_release("staging") == ""
    # a dry run too would run its code on the live hosts: refused unless asked for by
    # name (as faults_lost's over-ssh dry run does on staging), and never on prod
    dry = promote(repo, "staging", "--dry-run")
    assert dry.exit_code == 1, dry.output
    assert "--untested to preview it anyway" in dry.output
    protected = promote(repo, "prod", "--dry-run", "--untested")
    assert protected.exit_code == 1, protected.output
    assert "prod is protected: a dry run there needs a commit the gate passes" in protected.output
    uploaded = [exec_in(name, "ls", "/srv/saltline/releases").stdout.split()
                for names in FLEET.values() for name in names]  # fmt: skip
    assert uploaded == [[], [], []], "a refused dry run uploaded its release"
    audit = (repo / ".saltline" / "audit.jsonl").read_text().splitlines()
    assert [json.loads(line)["outcome"] for line in audit[-2:]] == ["refused", "refused"]


def test_the_fleet_gets_nothing_bind_mounted_from_a_host(engine, repo):
    """Its masters and minions get their files through the engine's API (a remote
    engine works): none bind-mounts a path of the engine's host but its cgroup tree."""
    seen: set[str] = set()
    binds = host_binds(engine, seen)
    fleet = {name for names in FLEET.values() for name in names}
    assert fleet <= seen
    assert {name: paths for name, paths in binds.items()
            if any(name.startswith(master) for master in fleet)} == {}  # fmt: skip


def test_prod_before_staging_is_refused(repo):
    """…once a commit passed as it ships: its roots exported from git, so a file hidden
    from `git status` (skip-worktree) is tested as committed, and export rules apply to
    the test as to the release."""
    (repo / ".gitattributes").write_text("salt/e2e-not-shipped.sls export-ignore\n")
    (repo / "salt" / "e2e-not-shipped.sls").write_text("e2e-not-shipped: {}\n")
    commit(repo, "a file the release does not ship")
    web = repo / "salt" / "roles" / "web.sls"
    git(repo, "update-index", "--skip-worktree", "salt/roles/web.sls")
    committed = web.read_text()
    web.write_text("{{ broken Jinja, only on this laptop\n")
    try:
        assert git(repo, "status", "--porcelain") == ""
        tested = saltline("test", "--check-prediction", estate=repo, reports=repo / "reports")
    finally:
        web.write_text(committed)
        git(repo, "update-index", "--no-skip-worktree", "salt/roles/web.sls")
    assert tested.exit_code == 0, tested.output
    assert "recorded a pass" in tested.output
    run = promote(repo, "prod")
    assert run.exit_code == 1
    assert "has not reached staging" in run.output
    assert current_release("prod") == ""


def test_a_tested_commit_goes_to_staging_then_prod(repo):
    sha = git(repo, "rev-parse", "HEAD").strip()
    staging = promote(repo, "staging")
    assert staging.exit_code == 0, staging.output
    assert re.search(
        r"^dry run staging/web1: .*nginx-package-install-pkg-installed", staging.output, re.M
    )
    assert "batch 1/1 staging/web1: ok" in staging.output
    # the pass says where Salt's prediction held in the tested converges (dev's web1)
    assert re.search(r"^dry run staging/web1: Salt's prediction held in tests for \d+ of \d+ "
                     "predicted changes", staging.output, re.M)  # fmt: skip
    report = json.loads((repo / "reports" / f"dry-run-staging-{sha[:12]}.json").read_text())
    seen = report["web1"]["prediction_in_tests"]["predicted"]
    assert seen["nginx-package-install-pkg-installed"] == "held in tests"
    shipped = exec_in(MASTERS["staging"], "ls", f"/srv/saltline/releases/{sha}/salt")
    assert "top.sls" in shipped.stdout and "e2e-not-shipped.sls" not in shipped.stdout
    # a formula's copy in the cache edited after the test: refused, not shipped
    locked = yaml.safe_load((repo / "saltline.lock").read_text())["formulas"]["motd"]["commit"]
    template = cache_dir() / "formulas" / "commits" / locked / "motd" / "files" / "motd.jinja"
    original = template.read_text()
    template.write_text("edited in the cache\n")
    try:
        edited = promote(repo, "prod")
    finally:
        template.write_text(original)
    assert edited.exit_code == 2, edited.output
    assert "formula motd: the cache's copy of commit" in edited.output
    assert "changed: motd/files/motd.jinja" in edited.output
    prod = promote(repo, "prod")
    assert prod.exit_code == 0, prod.output
    assert current_release("staging") == current_release("prod") == sha
    assert "Hello from the prod environment" in page("prod")
    verify = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         f"--hosts=docker://{MASTERS['prod']}-web1", str(repo / "tests" / "infra" / "test_web.py")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stdout
    status = saltline("status", estate=repo, reports=repo / "reports")
    assert f"prod docker://{MASTERS['prod']}: {sha[:12]} rolled out" in status.output
    # the pinned formula shipped with the release, at the commit that was tested
    motd = exec_in(f"{MASTERS['prod']}-web1", "cat", "/etc/motd").stdout
    assert motd.startswith("Welcome\nManaged by Salt on web1."), motd
    pinned = yaml.safe_load((repo / "saltline.lock").read_text())["formulas"]["motd"]["commit"]
    formula = repo.parent / f"{repo.name}-motd-formula"
    assert pinned == git(formula, "rev-parse", "v1.0.0").strip()


def test_drift_names_the_states_changed_by_hand(repo):
    clean = saltline("drift", "prod", estate=repo, reports=repo / "reports")
    assert clean.exit_code == 0, clean.output
    assert "dry run prod/web1: no changes" in clean.output
    assert exec_in(f"{MASTERS['prod']}-web1", "rm", "/var/www/saltline/index.html").returncode == 0
    drifted = saltline("drift", "prod", estate=repo, reports=repo / "reports")
    assert drifted.exit_code == 1
    assert "dry run prod/web1: nginx-config-page-file-managed" in drifted.output


def test_a_dirty_tree_is_refused(repo):
    (repo / "salt" / "scratch.sls").write_text("scratch: {}\n")
    try:
        run = promote(repo, "staging")
        assert run.exit_code == 1
        assert "the working tree is dirty (salt/scratch.sls)" in run.output
    finally:
        (repo / "salt" / "scratch.sls").unlink()


def test_rollback_returns_to_the_previous_release(repo):
    first = git(repo, "rev-parse", "HEAD").strip()
    set_message(repo, "prod", "Second release.")
    second = commit(repo, "prod: a new message")
    # the gate and staging first were tested above; the subject here is the rollback
    forced = promote(repo, "prod", "--force", "--reason", "e2e: a release to roll back")
    assert forced.exit_code == 0, forced.output
    assert current_release("prod") == second
    assert "Second release." in page("prod")
    run = saltline("rollback", "prod", estate=repo, reports=repo / "reports")
    assert run.exit_code == 0, run.output
    assert current_release("prod") == first
    assert "Hello from the prod environment" in page("prod")
    audit = [
        json.loads(line) for line in (repo / ".saltline" / "audit.jsonl").read_text().splitlines()
    ]
    assert [e["outcome"] for e in audit if e["action"] == "rollback"] == ["started", "rolled-back"]


# Reactors that the live masters have not loaded (they are not restarted): in master.d (in
# flow style, which Salt reads as any YAML), and in a file it includes. Only a candidate
# master that copied them would run them, on its dry run's events. And an external pillar
# in a file the included file includes (relative to it): the candidate, which must read
# the live configuration whole, gives web1 its key.
PROBE_CONF = """\
{include: /srv/e2e-probe-included.conf,
 reactor: [{'salt/job/*/ret/*': [/srv/e2e-probe.sls]}]}
"""
PROBE_INCLUDED = """\
reactor:
  - 'salt/auth': [/srv/e2e-probe.sls]
include: e2e-probe-nested.conf
"""
PROBE_NESTED = """\
ext_pillar:
  - cmd_yaml: 'echo "e2e_nested_include: true"'
"""
PROBE_SLS = """\
e2e-probe:
  runner.salt.cmd:
    - args:
      - fun: file.write
      - path: /srv/e2e-probe.log
      - args: ['{{ opts["cachedir"] }}']
"""


@contextmanager
def reactor_probe(masters: list[str]) -> Iterator[Callable[[], list[str]]]:
    """The probe on each master; yields what each has logged (removed afterwards)."""
    files = {
        "/etc/salt/master.d/e2e-probe.conf": PROBE_CONF,
        "/srv/e2e-probe-included.conf": PROBE_INCLUDED,
        "/srv/e2e-probe-nested.conf": PROBE_NESTED,
        "/srv/e2e-probe.sls": PROBE_SLS,
    }
    for name in masters:
        for path, text in files.items():
            write_in(name, path, text)
    try:
        yield lambda: [exec_in(name, "cat", "/srv/e2e-probe.log").stdout for name in masters]
    finally:
        for name in masters:
            exec_in(name, "rm", "-f", *files, "/srv/e2e-probe.log")


# States that render only where the live master's mine data is seen (the mine entry exists
# during the dry run only), a pillar the master compiles with the release's custom module,
# or one from the nested include's external pillar: none renders in the test pipeline,
# which is masterless.
PROBE_STATES = """
{% if salt['mine.get'](grains['id'], 'saltline_probe') %}
e2e-mine-probe:
  test.succeed_with_changes: []
{% endif %}
{% if salt['pillar.get']('e2e_master_module') %}
e2e-master-module-probe:
  test.succeed_without_changes: []
{% endif %}
{% if salt['pillar.get']('e2e_nested_include') %}
e2e-nested-include-probe:
  test.succeed_without_changes: []
{% endif %}
"""
PROBE_PILLAR = """
{% if 'saltline_probe.release' in salt %}
e2e_master_module: {{ salt['saltline_probe.release']() }}
{% endif %}
"""


def master_module_pillar() -> list[str]:
    """web1's pillar value from the release's custom module, as each staging master gives it."""
    return [pillar_get(name, "e2e_master_module") for name in FLEET["staging"]]


@contextmanager
def mine_probe(masters: list[str], minion: str) -> Iterator[None]:
    """A mine entry of `minion` on each master (deleted afterwards)."""
    for name in masters:  # multi-master: each of the minion's connections sends its own
        sent = exec_in(name, "salt", "--out=json", "--static", minion, "mine.send",
                       "saltline_probe", "mine_function=test.echo", "live")  # fmt: skip
        assert json.loads(sent.stdout) == {minion: True}, sent.stdout + sent.stderr
    try:
        yield
    finally:
        for name in masters:
            exec_in(name, "salt", minion, "mine.delete", "saltline_probe")


# Live site files that restate the live defaults: they must not put the candidate in the
# live master's extension modules, or the dry run's minion on the live master's port,
# which a `master: host:port` names (Salt takes that port over master_port).
SITE_FILES = {
    "/etc/salt/master.d/zzz-site.conf": (
        "cachedir: /var/cache/salt/master\nextension_modules: /var/cache/salt/master/extmods\n"
    ),
    "/etc/salt/minion.d/zzz-site.conf": (
        f"master: [{', '.join(f'{name}:4506' for name in FLEET['staging'])}]\n"
        "master_port: 4506\nextension_modules: /var/cache/salt/minion/extmods\n"
    ),
}
CANDIDATE_HOME = "/srv/saltline/candidate-master"
# What another user could read while a dry run runs: the candidate's home or the minion's
# copy open to others (only its owner may enter it), or a copied configuration file that
# is (only its owner may read it)
READABLE_BY_OTHERS = (
    "find {0} -maxdepth 0 -perm /077 2>/dev/null; "
    "find {0} \\( -name master -o -name minion \\) -type f -perm /077 2>/dev/null"
)


def copies_readable_by_others(environment: str) -> list[str]:
    """Copied configuration that another user could read, on the masters and on web1."""
    masters = [(name, CANDIDATE_HOME) for name in FLEET[environment]]
    minion = [(f"{MASTERS[environment]}-web1", "/tmp/saltline-dry-run.*")]
    return [
        line for name, where in masters + minion
        for line in exec_in(name, "sh", "-c", READABLE_BY_OTHERS.format(where)).stdout.split()
    ]  # fmt: skip


def copies_left(environment: str) -> list[str]:
    """Copied configuration left behind after a dry run, on the masters and on web1."""
    masters = [(name, f"{CANDIDATE_HOME}/etc") for name in FLEET[environment]]
    minion = [(f"{MASTERS[environment]}-web1", "/tmp/saltline-dry-run.*")]
    return [
        line for name, where in masters + minion
        for line in exec_in(name, "sh", "-c", f"ls -d {where} 2>/dev/null").stdout.split()
    ]  # fmt: skip


@contextmanager
def site_files(environment: str) -> Iterator[None]:
    masters, minion = FLEET[environment], f"{MASTERS[environment]}-web1"
    placed = [(name, path) for path in SITE_FILES for name in
              (masters if "master.d" in path else [minion])]  # fmt: skip
    for name, path in placed:
        write_in(name, path, SITE_FILES[path])
    try:
        yield
    finally:
        for name, path in placed:
            exec_in(name, "rm", "-f", path)


def test_a_dry_run_changes_nothing_live_while_it_runs(repo):
    before, message = current_release("staging"), pillar_message("staging")
    set_message(repo, "staging", "Third release.")
    # a custom module: a highstate syncs it into the minion's extension modules
    (repo / "salt" / "_modules").mkdir()
    (repo / "salt" / "_modules" / "saltline_probe.py").write_text(
        'def release():\n    return "third"\n'
    )
    (repo / "salt" / "e2e_probe.sls").write_text(PROBE_STATES)
    web = repo / "salt" / "roles" / "web.sls"
    web.write_text(web.read_text().rstrip("\n") + "\n  - e2e_probe\n")
    with (repo / "pillar" / "shop.sls").open("a") as shop:
        shop.write(PROBE_PILLAR)
    sha = commit(repo, "staging: a third message, a custom module, states that probe the master")
    assert saltline("test", estate=repo, reports=repo / "reports").exit_code == 0
    with (
        reactor_probe(FLEET["staging"]) as reacted,
        mine_probe(FLEET["staging"], "web1"),
        site_files("staging"),
    ):
        dry_run = subprocess.Popen(
            [sys.executable, "-m", "saltline.cli", "promote", "staging", "--dry-run"],
            cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        # what each master serves, every poll; what the live master gives web1 (a Salt
        # job and a pillar compile, as costly as what it watches), every few seconds
        served_during, said_during, highstate_during = [], [], None
        exposed_during: list[str] = []
        said_next = 0.0
        while dry_run.poll() is None:
            pid = "/srv/saltline/candidate-master/salt-master.pid"
            if exec_in(MASTERS["staging"], "test", "-f", pid).returncode == 0:
                served_during.append(releases("staging"))
                if time.monotonic() >= said_next:
                    said_during.append(pillar_message("staging"))
                    said_next = time.monotonic() + 3
                if highstate_during is None:  # what a scheduled highstate would do right now
                    highstate_during = live_changes("staging")
                exposed_during.extend(copies_readable_by_others("staging"))
            time.sleep(0.5)
        output = dry_run.communicate()[0]
        assert reacted() == ["", ""], f"a candidate master ran the live reactor: {reacted()}"
    assert dry_run.returncode == 0, output
    assert served_during and said_during, "never observed the dry run in progress"
    assert all(served == [before, before] for served in served_during), served_during
    assert all(said == message for said in said_during), said_during
    assert highstate_during == [], highstate_during  # the live release, already applied
    assert exposed_during == [], f"copied configuration readable by others: {exposed_during}"
    assert copies_left("staging") == [], "copied configuration left behind"
    # the candidate, not the live release, was what the dry run applied
    assert re.search(r"^dry run staging/web1: .*nginx-config-page-file-managed", output, re.M)
    # …rendered with the live master's mine data, and a pillar of the release's custom module
    assert re.search(r"^dry run staging/web1: .*e2e-mine-probe", output, re.M), output
    report = (repo / "reports" / f"dry-run-staging-{sha[:12]}.json").read_text()
    assert "e2e-master-module-probe" in report, "the candidate lacked the release's module"
    assert "e2e-nested-include-probe" in report, "the candidate lacked a nested include"
    for name in FLEET["staging"]:  # …synced into the candidate's copy only
        live = exec_in(name, "find", "/var/cache/salt/master", "-name", "saltline_probe*")
        assert live.stdout == "", f"the dry run synced the release's module live: {live.stdout}"
    assert "batch" not in output
    assert current_release("staging") == before
    assert "Third release." not in page("staging")
    synced = exec_in(
        f"{MASTERS['staging']}-web1", "find", "/var/cache/salt", "-name", "saltline_probe*"
    )
    assert synced.stdout == "", f"the dry run synced the release's module live: {synced.stdout}"
    audit = json.loads((repo / ".saltline" / "audit.jsonl").read_text().splitlines()[-1])
    assert (audit["action"], audit["outcome"]) == ("promote", "dry-run")
    # a dry run is not a rollout: the commit has not reached staging
    refused = promote(repo, "prod", sha)
    assert refused.exit_code == 1
    assert "has not reached staging" in refused.output


def test_a_minion_down_is_named_before_anything_changes(repo):
    """Its key stays accepted (a stale key): under `promotion.unreachable: fail` the
    promotion is refused naming it, before the upload; a dry run goes on and fails."""
    minion = f"{MASTERS['staging']}-web1"
    before = current_release("staging")
    subprocess.run(["docker", "stop", minion], check=True, capture_output=True)
    try:
        run = promote(repo, "staging")
        assert run.exit_code == 1
        assert "refused: staging/web1 did not answer a ping within 5s" in run.output
        assert "uploaded" not in run.output and "batch" not in run.output
        dry = promote(repo, "staging", "--dry-run")
        assert dry.exit_code == 1, dry.output
        assert "note: a promotion would be refused: staging/web1 did not answer" in dry.output
        assert "dry run staging/web1: did not return" in dry.output
        current = current_release("staging")
        assert current == before
        whole = exec_in(
            MASTERS["staging"], "test", "-f", f"/srv/saltline/releases/{current}/RELEASE.json"
        )
        assert whole.returncode == 0
        assert (
            exec_in(
                MASTERS["staging"], "test", "-f", "/srv/saltline/current/salt/top.sls"
            ).returncode
            == 0
        )
        assert (
            exec_in(
                MASTERS["staging"], "sh", "-c", "ls -a /srv/saltline/releases | grep incoming"
            ).stdout
            == ""
        )
        for name in FLEET["staging"]:
            assert exec_in(name, "test", "-e", "/srv/saltline/deploy.lock").returncode == 1
    finally:
        subprocess.run(["docker", "start", minion], check=True, capture_output=True)
        wait_until_connected("staging", "web1")


@contextmanager
def master_signers(masters: list[str]) -> Iterator[None]:
    """/etc/saltline/allowed_signers on these masters (removed afterwards)."""
    allowed = (REPO / "tests" / "secrets" / "allowed_signers").read_text()
    for name in masters:
        write_in(name, "/etc/saltline/allowed_signers", allowed)
    try:
        yield
    finally:
        for name in masters:
            exec_in(name, "rm", "-rf", "/etc/saltline")


def test_a_rollout_syncs_the_releases_custom_modules_on_the_masters_a_rollback_removes_them(
    repo,
):
    """…on masters that check each release's signed pass themselves before serving it; and
    the release rolled back from is withdrawn: it no longer counts as reached."""
    sha = git(repo, "rev-parse", "HEAD").strip()
    with master_signers(FLEET["staging"]):
        run = promote(repo, "staging")
        assert run.exit_code == 0, run.output
        assert run.output.count("the master checked its pass: signed by ci@saltline.test") == 2
        assert master_module_pillar() == ["third", "third"]
        back = saltline("rollback", "staging", estate=repo, reports=repo / "reports")
        assert back.exit_code == 0, back.output
    assert master_module_pillar() == ["", ""]
    refused = promote(repo, "prod", sha)
    assert refused.exit_code == 1, refused.output
    assert "has not reached staging" in refused.output  # it had, until the rollback
    status = saltline("status", "staging", estate=repo, reports=repo / "reports")
    assert (
        f"withdrawn (rolled back from, or undone; they count as reached nowhere): {sha[:12]}"
        in (status.output)
    )
    for name in FLEET["staging"]:
        left = exec_in(name, "sh", "-c", "ls /srv/saltline/master-modules; find "
                       "/var/cache/salt/master/extmods -name 'saltline_probe*'")  # fmt: skip
        assert left.stdout == "", f"{name} kept the module of a release no longer live: {left}"


def wait_until_connected(environment: str, minion: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ping = exec_in(
            MASTERS[environment], "salt", "--out=json", "--timeout=5", minion, "test.ping"
        )
        if '"web1": true' in ping.stdout.replace(minion, "web1"):
            return
        time.sleep(1)
    raise AssertionError(f"{minion} did not reconnect to {MASTERS[environment]}")


def write_lease(master: str, host: str, pid: int, age: int) -> None:
    owner = {"token": "t0", "user": "ops", "host": host, "pid": pid, "action": "promote",
             "sha": None, "started": time.time() - age}  # fmt: skip
    write_in(master, "/srv/saltline/deploy.lock/owner.json", json.dumps(owner))


def test_a_dead_promotions_lease_is_broken_and_a_stale_one_is_unlocked(repo):
    write_lease(FLEET["staging"][1], socket.gethostname(), 2**22 + 99, age=600)
    run = promote(repo, "staging")
    assert run.exit_code == 0, run.output
    assert "broke a dead lease (ops@" in run.output
    write_lease(FLEET["staging"][0], "ci-runner-7", 4242, age=3 * 3600)
    refused = promote(repo, "staging")
    assert refused.exit_code == 1
    assert "locked by another promotion: ops@ci-runner-7 pid 4242 (promote), held for 3 h" in (
        refused.output
    )
    status = saltline("status", "staging", estate=repo, reports=repo / "reports")
    assert "deploy lease held by ops@ci-runner-7" in status.output
    unlocked = saltline("unlock", "staging", "--reason", "runner 7 was killed",
                        estate=repo, reports=repo / "reports")  # fmt: skip
    assert unlocked.exit_code == 0, unlocked.output
    audit = [
        json.loads(line) for line in (repo / ".saltline" / "audit.jsonl").read_text().splitlines()
    ]
    assert audit[-1]["outcome"] == "unlocked" and audit[-1]["reason"] == "runner 7 was killed"
    assert audit[-1]["broken"][0]["holder"]["host"] == "ci-runner-7"
    assert promote(repo, "staging").exit_code == 0


def test_a_failed_batch_returns_every_master_and_minion_to_the_previous_release(repo):
    before, tested = current_release("staging"), git(repo, "rev-parse", "HEAD").strip()
    (repo / "salt" / "e2e_fault.sls").write_text(
        "e2e-fault-cmd-run:\n  cmd.run:\n    - name: 'false'\n"  # fails only when run
    )
    web = repo / "salt" / "roles" / "web.sls"
    web.write_text(web.read_text().rstrip("\n") + "\n  - e2e_fault\n")
    sha = commit(repo, "a state that fails when applied")
    try:
        run = promote(repo, "staging", "--force", "--reason", "e2e: a failing rollout")
        assert run.exit_code == 1, run.output
        assert "batch 1/1 staging/web1: state 'e2e-fault-cmd-run'" in run.output
        assert "rolled-back: minions that applied" in run.output
        assert releases("staging") == [before, before]
        last = json.loads((repo / ".saltline" / "audit.jsonl").read_text().splitlines()[-1])
        assert last["outcome"] == "rolled-back"
        assert last["applied"] == ["web1"] and last["reapplied"] == {"web1": "ok"}
        status = saltline("status", "staging", estate=repo, reports=repo / "reports")
        assert f"{before[:12]} rolled out" in status.output
        assert "SPLIT" not in status.output and "lease" not in status.output
        refused = promote(repo, "prod", sha)
        assert "has not reached staging" in refused.output
    finally:
        git(repo, "reset", "-q", "--hard", tested)


def test_two_promotions_at_once_one_is_refused(repo):
    first = subprocess.Popen(
        [sys.executable, "-m", "saltline.cli", "promote", "staging"],
        cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while exec_in(MASTERS["staging"], "test", "-d", "/srv/saltline/deploy.lock").returncode != 0:
        assert time.monotonic() < deadline and first.poll() is None, (
            "the first promotion never locked"
        )
        time.sleep(0.5)  # it holds the lease for the whole promotion, seconds
    second = promote(repo, "staging")
    first_output, _ = first.communicate(timeout=300)
    assert second.exit_code == 1
    assert "is locked by another promotion" in second.output
    assert first.returncode == 0, first_output


def test_force_overrides_the_gate_and_is_audited(repo):
    (repo / "README.md").write_text("untested\n")
    sha = commit(repo, "an untested change")
    run = promote(repo, "staging", "--force", "--reason", "hotfix approved by on-call")
    assert run.exit_code == 0, run.output
    assert current_release("staging") == sha
    on_master = exec_in(MASTERS["staging"], "cat", "/srv/saltline/audit.jsonl").stdout.splitlines()
    override = [json.loads(line) for line in on_master if '"override"' in line]
    assert override and override[-1]["reason"] == "hotfix approved by on-call"
    assert "has no recorded pass" in override[-1]["reasons"][0]


def test_force_cannot_make_a_master_with_allowed_signers_serve_an_unsigned_release(repo):
    """A modified client, a stolen deploy account or --force: the master refuses on its
    own, and the promotion switches every master back."""
    before = current_release("staging")
    (repo / "README.md").write_text("untested, forced\n")
    commit(repo, "an untested change, forced")
    with master_signers(FLEET["staging"][1:]):
        run = promote(repo, "staging", "--force", "--reason", "e2e: break the rules")
    assert run.exit_code == 1, run.output
    assert "refuses to serve releases/" in run.output
    assert current_release("staging") == before  # master1 had switched: switched back
    last = json.loads((repo / ".saltline" / "audit.jsonl").read_text().splitlines()[-1])
    assert last["outcome"] == "failed" and "refuses to serve" in last["error"]


def test_a_pass_written_by_hand_or_signed_by_another_key_does_not_count(repo, tmp_path):
    """The ten-line script: every field of a pass recomputed from the commit."""
    before = current_release("staging")
    (repo / "README.md").write_text("never tested\n")
    sha = commit(repo, "untested, with a forged pass")
    fingerprint = gate.fingerprint(config.load(repo / "saltline.yml"), sha)
    forged = PassRecord(fingerprint, fingerprint.matrix, None, "2026-12-07T00:00:00Z")
    path = repo / "reports" / f"pass-{sha[:12]}-all.json"
    path.write_text(forged.to_json() + "\n")
    run = promote(repo, "staging")
    assert run.exit_code == 1, run.output
    assert "has no pass that counts" in run.output and "unsigned" in run.output
    intruder = tmp_path / "intruder"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(intruder)],
                   check=True)  # fmt: skip
    signature = signing.sign(forged.statement(), intruder)
    path.write_text(replace(forged, signature=signature).to_json() + "\n")
    run = promote(repo, "staging")
    assert run.exit_code == 1, run.output
    assert "signed by a key that allowed_signers does not allow" in run.output
    # a real signature, of another commit's tested content, moved onto this commit
    reports = sorted(p for p in (repo / "reports").glob("pass-*.json") if p != path)
    lines = [line for report in reports for line in report.read_text().splitlines()]
    signed = next(line for line in lines if '"signature": "-----' in line)
    moved = json.loads(signed)
    moved["statement"]["subject"][0]["digest"]["gitCommit"] = sha
    moved["statement"]["predicate"]["saltline"]["sha"] = sha
    path.write_text(json.dumps(moved) + "\n")
    run = promote(repo, "staging")
    assert run.exit_code == 1, run.output
    assert "its signature does not match it" in run.output
    assert current_release("staging") == before


def test_one_master_in_two_environments_is_refused_naming_both(repo, tmp_path):
    """A single-master shop separating environments by pillarenv: promoting staging
    would switch prod's release and write the record prod's gate reads."""
    shared = (
        (repo / "saltline.yml")
        .read_text()
        .replace(f"docker://{MASTERS['prod']}", f"docker://{MASTERS['staging']}")
    )
    (tmp_path / "saltline.yml").write_text(
        shared.replace("tests/secrets/", f"{repo}/tests/secrets/")
    )
    run = saltline("-c", str(tmp_path / "saltline.yml"), "promote", "staging",
                   estate=repo, reports=tmp_path)  # fmt: skip
    assert run.exit_code == 2, run.output
    assert f"docker://{MASTERS['staging']} is a master of staging too" in run.output


def test_a_committed_symlink_is_refused_before_anything_runs(repo):
    """A release ships regular files only: a symlink would be tested but not shipped."""
    head = git(repo, "rev-parse", "HEAD").strip()
    (repo / "salt" / "e2e-link.sls").symlink_to("/etc/hostname")
    commit(repo, "a symlink under salt/")
    try:
        run = saltline("test", estate=repo, reports=repo / "reports")
    finally:
        git(repo, "reset", "-q", "--hard", head)
    assert run.exit_code == 2, run.output
    assert "salt/e2e-link.sls is a symlink (to /etc/hostname)" in run.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("promote", "qa"), "no environment named 'qa'"),
        (("promote", "staging", "no-such-rev"), "'no-such-rev' does not name a commit"),
        (("promote", "staging", "--force"), "--force needs --reason"),
        (("rollback", "dev"), "environment 'dev' has no masters"),
    ],
)
def test_bad_input_is_exit_2_and_changes_nothing(repo, args, expected):
    before = current_release("staging")
    run = saltline(*args, estate=repo, reports=repo / "reports")
    assert run.exit_code == 2, run.output
    assert expected in run.output
    assert current_release("staging") == before


@pytest.mark.parametrize(
    ("master", "expected"),
    [
        ("docker://saltline-e2e-nowhere", "no container named 'saltline-e2e-nowhere'"),
        ("ssh://nobody@127.0.0.1:1", "ssh failed"),
        ("ssh://salt1.example.test", "is not a master URL; expected ssh://user@host[:port]"),
    ],
)
def test_a_bad_or_unreachable_master_is_exit_2(repo, tmp_path, master, expected):
    config = (repo / "saltline.yml").read_text().replace(f"docker://{MASTERS['staging']}", master)
    config = config.replace("tests/secrets/", f"{repo}/tests/secrets/")
    (tmp_path / "saltline.yml").write_text(config)
    run = saltline(
        "-c", str(tmp_path / "saltline.yml"), "promote", "staging", estate=repo, reports=tmp_path
    )
    assert run.exit_code == 2, run.output
    assert expected in run.output
