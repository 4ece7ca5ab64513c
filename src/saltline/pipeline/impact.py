"""What a change does to one target: its rendered view before and after, compared.

A view (`RenderedView`) is what Salt rendered for a minion in an environment, read
without the secrets key: its states (the low state, less render artefacts such as
run order numbers), the content of every file a state manages from a source, and its
pillar. Two views compare key by key, so dictionary order and line numbers never show
as changes, and a secret's value (its ciphertext, since the views are read without
the key) never shows at all: it reads "encrypted value changed".

    >>> before = RenderedView({"nginx|pkg|nginx": State("nginx", "pkg.installed", "nginx",
    ...                        "nginx", {"version": "1.22"})}, {}, {"port": 80})
    >>> after = RenderedView({"nginx|pkg|nginx": State("nginx", "pkg.installed", "nginx",
    ...                       "nginx", {"version": "1.24"})}, {}, {"port": 8080})
    >>> impact = compare(before, after)
    >>> impact.states_changed[0].arguments
    ['version: "1.22" → "1.24"']
    >>> impact.pillar
    ['changed port: 80 → 8080']
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

ENCRYPTED = re.compile(r"-----BEGIN PGP MESSAGE-----.*?(-----END PGP MESSAGE-----|\Z)", re.DOTALL)
MASK = "<encrypted value>"
LONGEST_VALUE = 160  # characters of a value shown in a line of the impact
# Keys of a low-state chunk that are how Salt ran it, not what it does
_ARTEFACTS = {"order", "__run_num__", "__env__", "__sls__", "__id__", "state", "fun", "name"}


@dataclass(frozen=True)
class State:
    id: str
    function: str  # module.function, e.g. file.managed
    name: str
    sls: str
    arguments: dict[str, Any]  # with requisites; without render artefacts


@dataclass(frozen=True)
class RenderedView:
    states: dict[str, State]  # by `state_key`
    files: dict[str, str]  # managed file content (or "!" and why not), by state key
    pillar: dict[str, Any]

    @classmethod
    def from_salt(
        cls, low: list[dict[str, Any]], files: dict[str, str], pillar: Any
    ) -> RenderedView:
        states = {}
        for chunk in low:
            state = State(
                id=str(chunk.get("__id__", chunk.get("name", ""))),
                function=f"{chunk.get('state')}.{chunk.get('fun')}",
                name=str(chunk.get("name", "")),
                sls=str(chunk.get("__sls__", "")),
                arguments={k: v for k, v in chunk.items() if k not in _ARTEFACTS},
            )
            states[state_key(chunk)] = state
        return cls(states, dict(files), pillar if isinstance(pillar, dict) else {})

    def to_json(self) -> dict[str, Any]:
        return {
            "states": {key: state.__dict__ for key, state in self.states.items()},
            "files": self.files,
            "pillar": self.pillar,
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> RenderedView:
        return cls(
            {key: State(**state) for key, state in document["states"].items()},
            {str(k): str(v) for k, v in document["files"].items()},
            dict(document["pillar"]),
        )


def state_key(chunk: dict[str, Any]) -> str:
    """A state's identity across renders: its ID, module and name (`names:` make several
    chunks of one ID); never its run order."""
    return f"{chunk.get('__id__', '')}|{chunk.get('state', '')}|{chunk.get('name', '')}"


@dataclass(frozen=True)
class StateChange:
    id: str
    function: str
    sls: str
    arguments: list[str] = field(default_factory=list)  # key-level: "key: old → new"
    where: str = ""  # file:line, filled in by whoever knows the estate's files


@dataclass
class TargetImpact:
    """One target's impact: empty when its rendering did not change."""

    states_added: list[StateChange] = field(default_factory=list)
    states_removed: list[StateChange] = field(default_factory=list)
    states_changed: list[StateChange] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # managed path → unified diff
    pillar: list[str] = field(default_factory=list)  # "added|removed|changed a:b: …"
    note: str = ""  # a target only one side has

    @property
    def empty(self) -> bool:
        return not (self.states_added or self.states_removed or self.states_changed
                    or self.files or self.pillar or self.note)  # fmt: skip

    @property
    def states(self) -> int:
        return len(self.states_added) + len(self.states_removed) + len(self.states_changed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "states_added": [change.__dict__ for change in self.states_added],
            "states_removed": [change.__dict__ for change in self.states_removed],
            "states_changed": [change.__dict__ for change in self.states_changed],
            "files": self.files,
            "pillar": self.pillar,
            "note": self.note,
        }


def compare(before: RenderedView | None, after: RenderedView | None) -> TargetImpact:
    """The impact of going from `before` to `after` (None: the target is not there)."""
    if before is None and after is None:
        return TargetImpact()
    impact = TargetImpact()
    if before is None:
        impact.note = "a new target: everything it renders is added"
    if after is None:
        impact.note = "a target the change removes"
    old = before or RenderedView({}, {}, {})
    new = after or RenderedView({}, {}, {})
    for key in sorted(new.states.keys() - old.states.keys()):
        impact.states_added.append(_change(new.states[key], []))
    for key in sorted(old.states.keys() - new.states.keys()):
        impact.states_removed.append(_change(old.states[key], []))
    for key in sorted(old.states.keys() & new.states.keys()):
        was, now = old.states[key], new.states[key]
        lines = _differences(_flatten(was.arguments), _flatten(now.arguments))
        if was.sls != now.sls:
            lines.insert(0, f"moved from SLS {was.sls} to {now.sls}")
        if lines:
            impact.states_changed.append(_change(now, lines))
    for key in sorted(old.files.keys() | new.files.keys()):
        diff = file_diff(old.files.get(key), new.files.get(key), _path_of(key, old, new))
        if diff:
            impact.files[_path_of(key, old, new)] = diff
    impact.pillar = _pillar_lines(old.pillar, new.pillar)
    return impact


def _change(state: State, arguments: list[str]) -> StateChange:
    return StateChange(state.id, state.function, state.sls, arguments)


def _path_of(key: str, old: RenderedView, new: RenderedView) -> str:
    state = new.states.get(key) or old.states.get(key)
    return state.name if state is not None else key.rsplit("|", 1)[-1]


def _pillar_lines(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Pillar keys (`a:b:c`, as Salt's `pillar.get` names them) added, removed, changed."""
    return _differences(_flatten(old), _flatten(new), changed="changed ")


def _differences(old: dict[str, Any], new: dict[str, Any], changed: str = "") -> list[str]:
    """Key by key: "added KEY: value", "removed KEY", "KEY: old → new" (after `changed`)."""
    lines = [f"added {key}: {shown(new[key])}" for key in sorted(new.keys() - old.keys())]
    lines += [f"removed {key}" for key in sorted(old.keys() - new.keys())]
    lines += [
        f"{changed}{key}: {_transition(old[key], new[key])}"
        for key in sorted(old.keys() & new.keys())
        if _canonical(old[key]) != _canonical(new[key])
    ]
    return lines


def _transition(old: Any, new: Any) -> str:
    if encrypted(old) or encrypted(new):
        return "encrypted value changed"
    return f"{shown(old)} → {shown(new)}"


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, path + ":"))
        else:
            flat[path] = value
    return flat


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def encrypted(value: Any) -> bool:
    text = value if isinstance(value, str) else _canonical(value)
    return "-----BEGIN PGP MESSAGE-----" in text


def masked(text: str) -> str:
    """`text` with every PGP message in it replaced: a secret is never shown."""
    return ENCRYPTED.sub(MASK, text)


def shown(value: Any) -> str:
    """A value as one line of the impact: JSON, secrets masked, long ones cut."""
    if isinstance(value, str) and ENCRYPTED.fullmatch(value.strip()):
        return MASK
    text = masked(_canonical(value))
    return text if len(text) <= LONGEST_VALUE else text[: LONGEST_VALUE - 1] + "…"


def file_diff(old: str | None, new: str | None, path: str) -> str:
    """A unified diff of a managed file's rendered content; an unchanged file is "", and a
    change only inside an encrypted value says so without showing either side."""
    if old == new:
        return ""
    before, after = masked(old or ""), masked(new or "")
    if before == after:
        return f"{path}: encrypted value changed\n"
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        f"a{path}" if old is not None else "/dev/null",
        f"b{path}" if new is not None else "/dev/null",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@dataclass
class Impact:
    """A run's impact: every rendered target's (by key) against the base commit."""

    base: str  # the commit compared with
    targets: dict[str, TargetImpact] = field(default_factory=dict)
    unavailable: str = ""  # why there is none (the base does not render, …)
    unseen: dict[str, str] = field(default_factory=dict)  # target key → why no view
    platforms_changed: list[str] = field(default_factory=list)  # their image may differ

    @property
    def changed(self) -> dict[str, TargetImpact]:
        return {key: impact for key, impact in self.targets.items() if not impact.empty}

    def to_dict(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "unavailable": self.unavailable,
            "unseen": self.unseen,
            "platforms_changed": self.platforms_changed,
            "targets": {key: impact.to_dict() for key, impact in self.changed.items()},
            "unchanged": sorted(key for key, impact in self.targets.items() if impact.empty),
        }
