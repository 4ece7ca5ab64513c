from __future__ import annotations

import argparse

import pytest

from saltline.cli.arguments import shard as _shard
from saltline.errors import SaltlineError
from saltline.pipeline.runner import select_stages


@pytest.mark.parametrize(
    ("only", "skip", "expected"),
    [
        ([], [], ("lint", "render", "converge", "idempotence", "verify", "report")),
        (["render"], [], ("render",)),
        (["verify", "lint"], [], ("lint", "verify")),
        ([], ["lint", "idempotence"], ("render", "converge", "verify", "report")),
        (["render", "converge"], ["lint"], ("render", "converge")),
    ],
)
def test_only_and_skip_keep_pipeline_order(only, skip, expected):
    assert select_stages(only, skip) == expected


def test_a_stage_both_run_only_and_skipped_is_named():
    with pytest.raises(SaltlineError, match="--only lint and --skip lint"):
        select_stages(["render", "lint"], ["lint"])


def test_an_unknown_stage_is_named():
    with pytest.raises(SaltlineError, match="no stage named 'test'; stages: lint, render"):
        select_stages(["test"], [])


@pytest.mark.parametrize("text", ["0/2", "3/2", "a/b", "1", "1/2/3"])
def test_bad_shards_are_usage_errors(text):
    with pytest.raises(argparse.ArgumentTypeError):
        _shard(text)


def test_a_shard_is_index_and_total():
    assert _shard("2/3") == (2, 3)
