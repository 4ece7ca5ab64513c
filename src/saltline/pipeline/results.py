"""What a run produced: per target, per stage, per test case. Plain data, serialisable."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from saltline.config import target_key
from saltline.pipeline.impact import Impact

Status = Literal["passed", "failed", "error", "skipped"]


@dataclass
class Case:
    """One JUnit test case: a Salt state or a testinfra check."""

    name: str
    classname: str
    duration: float
    failure: str | None = None
    skipped: str | None = None


@dataclass
class StageResult:
    stage: str
    status: Status
    duration: float = 0.0
    message: str = ""
    cases: list[Case] = field(default_factory=list)
    # what a stage found beyond pass or fail: converge's container limits and exclusions
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status in ("passed", "skipped")


@dataclass
class TargetResult:
    """A minion × platform × Salt version × environment and its stages' results, in order."""

    minion: str
    platform: str
    environment: str
    roles: list[str]
    salt_version: str
    stages: list[StageResult] = field(default_factory=list)
    container: dict[str, Any] = field(default_factory=dict)  # its `container:` options

    @property
    def key(self) -> str:
        return target_key(self.environment, self.minion, self.platform, self.salt_version)

    @property
    def passed(self) -> bool:
        return all(stage.passed for stage in self.stages)


@dataclass
class RunResult:
    run_id: str
    salt_versions: list[str]  # the matrix's, the default first
    estate: list[StageResult] = field(default_factory=list)  # lint, render: once per run
    targets: list[TargetResult] = field(default_factory=list)
    duration: float = 0.0
    not_run: dict[str, str] = field(default_factory=dict)  # target key → why (--changed)
    selected: dict[str, str] = field(default_factory=dict)  # target key → why (--changed)
    impact: Impact | None = None  # against the base (`saltline diff`, `--changed`)

    @property
    def passed(self) -> bool:
        ran = self.estate or self.targets
        return (
            bool(ran) and all(s.passed for s in self.estate) and all(t.passed for t in self.targets)
        )

    def rows(self) -> list[tuple[str, list[StageResult]]]:
        """(label, stages): the estate's stages first, then each target's."""
        estate = [("estate", self.estate)] if self.estate else []
        return estate + [(t.key, t.stages) for t in self.targets]

    def stage_names(self) -> list[str]:
        return list(dict.fromkeys(stage.stage for _, stages in self.rows() for stage in stages))

    def to_dict(self) -> dict[str, Any]:
        document = {**asdict(self), "passed": self.passed}
        document["impact"] = self.impact.to_dict() if self.impact is not None else None
        return document
