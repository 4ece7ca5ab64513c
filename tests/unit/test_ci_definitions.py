"""The CI definitions: valid against their schemas, and calling make targets only.

Nothing here runs GitLab or GitHub; these checks keep both files honest.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
GITLAB = REPO / "ci" / "gitlab-ci.yml"
GITHUB = REPO / ".github" / "workflows" / "saltline.yml"
REPORTING = {'cat reports/summary.md >> "$GITHUB_STEP_SUMMARY"'}
SIGNING_KEY_STEP = "the signing key, for this job only"


def make_targets() -> set[str]:
    text = (REPO / "Makefile").read_text()
    return set(re.findall(r"^([a-z][\w-]*):", text, re.M))


def gitlab_jobs() -> dict[str, dict]:
    document = yaml.safe_load(GITLAB.read_text())
    return {
        name: job for name, job in document.items() if isinstance(job, dict) and "script" in job
    }


def github_jobs() -> dict[str, dict]:
    return yaml.safe_load(GITHUB.read_text())["jobs"]


@pytest.mark.parametrize(
    ("schema", "path"),
    [
        ("vendor.gitlab-ci", GITLAB),
        ("vendor.gitlab-ci", REPO / ".gitlab-ci.yml"),
        ("vendor.github-workflows", GITHUB),
    ],
)
def test_definitions_validate_against_their_schema(schema, path):
    checker = Path(sys.executable).parent / "check-jsonschema"
    done = subprocess.run(
        [str(checker), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def commands() -> list[str]:
    lines = [line for job in gitlab_jobs().values() for line in job["script"]]
    lines += [
        step["run"]
        for job in github_jobs().values()
        for step in job["steps"]
        if "run" in step and step.get("name") != SIGNING_KEY_STEP
    ]
    return lines


def test_every_command_is_a_make_target_that_exists():
    targets = make_targets()
    for command in commands():
        if command in REPORTING:
            continue
        assert command.startswith("make "), command
        assert command.split()[1] in targets, f"{command}: no such make target"


def test_gitlab_runs_merge_requests_lint_test_promote_with_shards_and_junit():
    document = yaml.safe_load(GITLAB.read_text())
    assert document["stages"] == ["lint", "test", "promote"]
    assert {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'} in document["workflow"]["rules"]
    assert {"if": '$CI_PIPELINE_SOURCE == "schedule"'} in document["workflow"]["rules"]
    pipeline = gitlab_jobs()["pipeline"]
    assert pipeline["parallel"] >= 2
    # every stage runs, lint included, so that the shards record passes the gate accepts
    assert pipeline["script"] == ["make pipeline SHARD=$CI_NODE_INDEX/$CI_NODE_TOTAL"]
    shared = document[".test-job"]
    assert shared["artifacts"]["reports"]["junit"] == "reports/junit.xml"
    assert shared["artifacts"]["when"] == "always"
    assert pipeline["extends"] == ".test-job"
    assert gitlab_jobs()["matrix"]["extends"] == [".test-job", ".protected-job"]
    promotions = [job for name, job in gitlab_jobs().items() if job.get("stage") == "promote"]
    assert promotions
    for job in promotions:
        assert job["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH", "when": "manual"}]


def test_github_mirrors_the_gitlab_pipeline():
    jobs = github_jobs()
    assert set(jobs) == {"lint", "unit", "pipeline", "matrix", "promote"}
    pipeline = jobs["pipeline"]
    assert pipeline["needs"] == "lint"
    shards = pipeline["strategy"]["matrix"]["shard"]
    run = next(step["run"] for step in pipeline["steps"] if "run" in step)
    assert run == "make pipeline"
    assert pipeline["env"]["SHARD"] == f"${{{{ matrix.shard }}}}/{len(shards)}"  # make reads it
    uses = [step.get("uses", "") for job in jobs.values() for step in job["steps"]]
    assert any(u.startswith("mikepenz/action-junit-report@") for u in uses)
    for action in filter(None, uses):
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), (
            f"{action} is not pinned to a SHA"
        )
    assert (
        jobs["promote"]["if"]
        == "github.event_name == 'workflow_dispatch' && github.ref == 'refs/heads/main'"
    )


def test_promote_jobs_receive_the_recorded_passes():
    for name, job in gitlab_jobs().items():
        if job.get("stage") == "promote":
            assert "matrix" in job["needs"], f"{name} does not receive the matrix's reports/"
    steps = github_jobs()["promote"]["steps"]
    download = next(s for s in steps if s.get("uses", "").startswith("actions/download-artifact@"))
    assert download["with"]["path"] == "reports"


def test_merge_requests_test_what_changed_in_the_default_cell():
    (merge_request,) = gitlab_jobs()["pipeline"]["rules"]
    assert merge_request["if"] == '$CI_PIPELINE_SOURCE == "merge_request_event"'
    assert merge_request["variables"] == {"SALTLINE_ARGS": "--changed", "GIT_DEPTH": "0"}
    pipeline = github_jobs()["pipeline"]
    assert pipeline["if"] == "github.event_name == 'pull_request'"
    assert pipeline["env"]["SALTLINE_ARGS"] == "--changed"
    assert pipeline["steps"][0]["with"]["fetch-depth"] == 0
    assert re.search(r"^CELL\s+\?= --default-cell$", (REPO / "Makefile").read_text(), re.M)


def saltline_cells() -> set[tuple[str, str]]:
    """(platform, Salt release line) of every cell the reference estate's matrix has."""
    from saltline import config

    cfg = config.load(REPO / "saltline.yml")
    return {(t.platform.name, t.salt_version.split(".")[0]) for t in cfg.targets()}


def test_the_default_branch_and_schedules_run_every_cell_of_the_matrix_a_job_each():
    matrix = gitlab_jobs()["matrix"]
    assert matrix["rules"] == [
        {"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"},
        {"if": '$CI_PIPELINE_SOURCE == "schedule"'},
    ]
    assert matrix["script"] == ['make pipeline CELL="--platform $PLATFORM --salt $SALT"']
    gitlab = {
        (entry["PLATFORM"], salt)
        for entry in matrix["parallel"]["matrix"]
        for salt in entry["SALT"]
    }
    assert gitlab == saltline_cells()
    github = github_jobs()["matrix"]
    assert {(c["platform"], c["salt"]) for c in github["strategy"]["matrix"]["include"]} == (
        saltline_cells()
    )
    assert github["if"] == "github.event_name != 'pull_request' && github.ref == 'refs/heads/main'"
    assert "schedule" in yaml.safe_load(GITHUB.read_text())["on"]


def signs_or_promotes(name: str, job: dict) -> bool:
    """The matrix records the passes promotions trust (signed); promote jobs deploy."""
    return job.get("stage") == "promote" or name == "matrix"


def test_merge_requests_never_reach_a_signing_key_or_a_promotion_identity():
    """GitLab: what signs or promotes runs on the protected runner, for the default branch
    only, never cancelled, one at a time per environment, with caches of its own; what a
    merge request runs stays on the other runner."""
    document = yaml.safe_load(GITLAB.read_text())
    assert document["default"]["tags"] == ["saltline"]
    jobs = gitlab_jobs()
    trusted = {name: job for name, job in jobs.items() if signs_or_promotes(name, job)}
    assert set(trusted) == {"matrix", "promote:staging", "promote:prod"}
    for name, job in trusted.items():
        merged = {**document[".protected-job"], **job}
        assert merged["tags"] == ["saltline-protected"] and merged["interruptible"] is False, name
        assert all("merge_request" not in str(rule) for rule in job["rules"]), name
        assert all("$CI_DEFAULT_BRANCH" in rule["if"] or "schedule" in rule["if"]
                   for rule in job["rules"]), name  # fmt: skip
    for name in ("promote:staging", "promote:prod"):
        environment = name.split(":")[1]
        assert jobs[name]["resource_group"] == f"promote-{environment}"
        assert jobs[name]["environment"]["name"] == environment
    assert jobs["matrix"]["cache"]["key"] != document[".test-job"]["cache"]["key"]
    for name, job in jobs.items():
        if name not in trusted:
            assert "tags" not in job, f"{name} would leave the merge requests' runner"


def test_pull_requests_get_no_secret_and_promotions_are_never_cancelled():
    """GitHub: secrets only in jobs of main bound to an environment (whose deployment
    rules allow main only); a promotion is never cancelled by another run."""
    text = GITHUB.read_text()
    jobs = github_jobs()
    for name, job in jobs.items():
        uses_secrets = "secrets." in yaml.safe_dump(job)
        if uses_secrets:
            assert "environment" in job and "refs/heads/main" in job["if"], name
        if "pull_request" in job.get("if", "") and "!=" not in job["if"]:
            assert not uses_secrets, name
    concurrency = jobs["promote"]["concurrency"]
    assert concurrency == {"group": "promote-${{ inputs.environment }}",
                           "cancel-in-progress": False}  # fmt: skip
    assert "cancel-in-progress: ${{ github.event_name == 'pull_request' }}" in text
    keys = {name: step["with"]["key"] for name, job in jobs.items() for step in job["steps"]
            if step.get("uses", "").startswith("actions/cache@")}  # fmt: skip
    assert keys["pipeline"].startswith("saltline-pr-") and keys["matrix"].startswith(
        "saltline-main-"
    )


def test_zizmor_finds_nothing_in_the_workflow():
    zizmor = Path(sys.executable).parent / "zizmor"
    done = subprocess.run([str(zizmor), "--offline", str(GITHUB)], capture_output=True,
                          text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
