"""A salt-master's `salt` command over minions held in memory: enough of Salt's answers
(ping, running jobs, schedules, sync, state.apply) to test what a rollout sends where."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from saltline.engine.containers import CommandResult
from saltline.master_url import parse_master_url
from saltline.promotion.transport import CommandChecks


@dataclass
class FakeMinion:
    alive: bool = True
    schedule: dict[str, dict[str, object]] = field(default_factory=dict)
    running: list[dict[str, object]] = field(default_factory=list)
    busy_for: int = 0  # calls it misses the answer of (busy applying), then answers


class FakeSaltMaster(CommandChecks):
    """Answers `salt --out=json … -L m1,m2 FUNCTION ARGS`; records every call as
    (function, minions, args)."""

    address = parse_master_url("docker://fake-master")

    def __init__(self, minions: dict[str, FakeMinion]):
        self.timeout = 300
        self.minions = minions
        self.calls: list[tuple[str, list[str], list[str]]] = []

    def run(self, command: list[str], stdin: bytes | None = None) -> CommandResult:
        if command[:2] == ["salt-key", "-L"]:
            return CommandResult(0, json.dumps({"minions": list(self.minions)}), "")
        targets = command[command.index("-L") + 1].split(",")
        function, *args = command[command.index("-L") + 2 :]
        self.calls.append((function, targets, args))
        answering = [m for m in targets if self.minions[m].alive and not self._busy(m)]
        answer = {m: self._answer(self.minions[m], function, args) for m in answering}
        answer.update({m: "Minion did not return. [No response]" for m in targets
                       if m not in answering})  # fmt: skip
        return CommandResult(0, json.dumps(answer), "")

    def _busy(self, name: str) -> bool:
        minion = self.minions[name]
        minion.busy_for -= 1
        return minion.busy_for >= 0

    def _answer(self, minion: FakeMinion, function: str, args: list[str]) -> object:
        if function == "test.ping":
            return True
        if function == "saltutil.running":
            return minion.running
        if function == "saltutil.kill_job":
            minion.running = [job for job in minion.running if job["jid"] != args[0]]
            return {}
        if function == "schedule.list":
            return minion.schedule
        if function in ("schedule.disable_job", "schedule.enable_job"):
            minion.schedule[args[0]]["enabled"] = function.endswith("enable_job")
            return {"result": True}
        if function == "state.apply":
            return {"file_|-page_|-/srv/page_|-managed": {
                "result": True, "changes": {}, "comment": "", "__id__": "page",
                "__sls__": "web", "__run_num__": 0}}  # fmt: skip
        return True

    def unpack(self, directory: str, tar: bytes) -> None:
        raise AssertionError("not used")

    def sent(self, function: str) -> list[list[str]]:
        """The minions each call of `function` went to, in order."""
        return [targets for name, targets, _ in self.calls if name == function]
