"""Golden data: each minion's rendered pillar and map.jinja output, per environment.

The render stage renders, besides the highstate, every component's `map.jinja` and the
pillar, and compares them with `tests/golden/<env>/<minion>.<platform>.yaml`; a data
change shows up as a diff to review, accepted with `saltline render --update-golden`
(`make golden`). The data is rendered without the GPG key, so a secret appears as
`<gpg-encrypted>`: golden files never hold a secret, and re-encrypting one is no diff.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import yaml

from saltline.config import Target

ENCRYPTED = "<gpg-encrypted>"
_PGP_BLOCK = "-----BEGIN PGP MESSAGE-----"
MAX_DIFF_LINES = 60


def components(state_roots: list[Path]) -> list[str]:
    """Components with a map.jinja that exports a variable named like the component."""
    return sorted({path.parent.name for root in state_roots for path in root.glob("*/map.jinja")})


def template(names: list[str]) -> str:
    """A Jinja template printing {"pillar": ..., "maps": {component: data}} as JSON."""
    lines = ["{%- set maps = {} %}"]
    for name in names:
        lines.append(f'{{%- from "{name}/map.jinja" import {name} with context %}}')
        lines.append(f'{{%- do maps.update({{"{name}": {name}}}) %}}')
    lines.append('{{ {"pillar": pillar, "maps": maps} | json }}')
    return "\n".join(lines)


def redact(data: Any) -> Any:
    """The data with every GPG-encrypted value replaced by a marker."""
    if isinstance(data, dict):
        return {key: redact(value) for key, value in data.items()}
    if isinstance(data, list):
        return [redact(value) for value in data]
    if isinstance(data, str) and data.lstrip().startswith(_PGP_BLOCK):
        return ENCRYPTED
    return data


def parse_rendered(stdout: str) -> Any:
    """The data from `salt-call --out=json slsutil.renderer` of `template()`."""
    rendered = json.loads(stdout)["local"]
    if not isinstance(rendered, str):
        raise ValueError(f"expected rendered text, got {type(rendered).__name__}")
    return redact(json.loads(rendered))


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (certificates, file contents) as literal blocks: readable diffs."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _string)


def to_yaml(data: Any, job: Target) -> str:
    header = (
        f"# Rendered data of {job.minion.name} on {job.platform.name} in {job.environment}:\n"
        "# pillar and each component's map.jinja. Update with `make golden`; review the diff.\n"
    )
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=True, default_flow_style=False, width=100)
    return header + body


def path_for(golden_dir: Path, job: Target) -> Path:
    return golden_dir / job.environment / f"{job.minion.name}.{job.platform.name}.yaml"


def difference(expected: str | None, actual: str, path: str) -> str | None:
    """None when equal; else what to do, and a unified diff (golden → rendered)."""
    if expected == actual:
        return None
    if expected is None:
        return f"{path}: no golden file; run `make golden` and commit it"
    diff = list(
        difflib.unified_diff(
            expected.splitlines(), actual.splitlines(), f"{path} (golden)", "rendered", lineterm=""
        )
    )
    shown = diff[:MAX_DIFF_LINES]
    if len(diff) > MAX_DIFF_LINES:
        shown.append(f"... {len(diff) - MAX_DIFF_LINES} more lines")
    return (
        f"{path}: rendered data differs from the golden file; if intended, run "
        "`make golden` and commit the diff\n" + "\n".join(shown)
    )
