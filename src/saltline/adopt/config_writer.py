"""The commented `saltline.yml` that `saltline init` writes from what it found."""

from __future__ import annotations

from typing import Any

import yaml

from saltline.adopt.discovery import Found

DEFAULT_SALT_VERSION = "3007.13"


class _IndentedDumper(yaml.SafeDumper):
    """Lists indented under their key, as yamllint's default `indentation` rule wants."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def dump(data: Any) -> str:
    """YAML as a usual `.yamllint` wants it (block style, lists indented)."""
    return yaml.dump(
        data, Dumper=_IndentedDumper, sort_keys=False, default_flow_style=False, width=80
    )


def _block(data: Any, indent: int = 2) -> str:
    text = dump(data)
    return "".join(" " * indent + line + "\n" for line in text.splitlines())


def render(found: Found) -> str:
    """saltline.yml text: valid for `config.parse`, and for a usual `.yamllint`."""
    parts = [
        "---\n"
        "# Written by `saltline init`; edit freely (README: `saltline.yml`).\n"
        "# The test matrix: one container per minion × platform × tested environment.\n"
        f'salt_version: "{DEFAULT_SALT_VERSION}"\n'
        "\n"
        "platforms:\n"
        "  debian12:\n"
        "    suite: bookworm\n"
        + (
            "    # in the test image before Salt runs, as kitchen-docker has them\n"
            f"    packages: {_flow(found.packages)}\n"
            if found.packages
            else ""
        )
        + "\n"
        "# Where the Salt code is, in file_roots order (the first that has a file wins).\n"
        "roots:\n"
        f"  states: {_flow(found.state_roots)}\n"
        f"  pillar: {_flow(found.pillar_roots)}\n"
    ]
    if found.state_top or found.pillar_top:
        parts.append(
            "\n# The repository has no top file of its own: saltline writes these.\ntop:\n"
        )
        if found.state_top:
            parts.append("  states:\n" + _block(found.state_top, 4))
        if found.pillar_top:
            parts.append("  pillar:\n" + _block(found.pillar_top, 4))
    if found.pillar_files:
        parts.append("\n# Pillar SLS saltline writes from other files (name: file).\n")
        parts.append("pillar_files:\n" + _block(found.pillar_files))
    if found.dependencies:
        parts.append(
            "\n# Formulas this one is tested with upstream (kitchen.yml). Pin those you need\n"
            "# (`git:` URL and `ref:`, or `path:`), then `saltline formulas update`.\n"
            "# formulas:\n"
        )
        for name, source in found.dependencies.items():
            parts.append(f"#   {name}:\n#     git: {source}\n#     ref: master\n")
    parts.append(
        "\n# Environments in promotion order; `test: true` ones are converged with their\n"
        "# pillar (the pillar top's section of that name, else its base).\n"
        "environments:\n"
    )
    for env in found.environments:
        tested = not env.startswith("prod")
        parts.append(f"  {env}:\n    test: {'true' if tested else 'false'}\n")
    parts.append(
        "\n# A representative minion per top file target (id, roles grain, grains).\nminions:\n"
    )
    for minion in found.minions.values():
        body: dict[str, Any] = {}
        if minion.roles:
            body["roles"] = list(minion.roles)
        if minion.grains:
            body["grains"] = minion.grains
        parts.append(f"  {minion.minion_id}:" + ("\n" + _block(body, 4) if body else " {}\n"))
    if found.unmatched:
        parts.append("  # Top file targets without a minion (add one by hand if you can):\n")
        parts += [f"  #   {line}\n" for line in found.unmatched]
    if found.suites:
        parts.append(
            "\n# testinfra tests for the verify stage, by role ('*': every minion); saltcheck\n"
            "# tests (<state>/saltcheck-tests/*.tst) run too.\ntests:\n  suites:\n"
            + _block(found.suites, 4)
        )
    return "".join(parts)


def _flow(items: list[str]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"
