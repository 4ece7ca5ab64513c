"""From a top file's target to a test minion that it matches: an id and grains.

`saltline init` gives every target of a repository's top file a representative minion,
so that the highstate each target assigns gets tested. Globs become ids, grain
matches become grains, compound matchers combine both, nodegroups are expanded; what
no test minion can be made to match (pillar, PCRE, subnets, another OS) is a reason:

    >>> representative("web*")
    Representative(minion_id='web1', grains={}, roles=())
    >>> representative("G@roles:db and G@datacenter:lab")
    Representative(minion_id='db1', grains={'datacenter': 'lab'}, roles=('db',))
    >>> representative("I@tier:web")
    'matches on pillar (I@tier:web), which a minion cannot be given before its pillar is rendered'
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any

# Grains the platform decides: a target matching them is tested where they hold.
PLATFORM_GRAINS = {
    "os": "Debian",
    "os_family": "Debian",
    "kernel": "Linux",
}
_PREFIXED = re.compile(r"^(?P<kind>[A-Z])@(?P<expression>.+)$")
_UNSUPPORTED = {
    "I": "matches on pillar ({term}), which a minion cannot be given before its pillar is rendered",
    "J": "matches on pillar ({term}), which a minion cannot be given before its pillar is rendered",
    "P": "matches grains by regular expression ({term}); give the minion by hand",
    "E": "matches ids by regular expression ({term}); give the minion by hand",
    "S": "matches a subnet ({term}); test minions get addresses from Docker",
    "R": "matches a range expression ({term}), which saltline cannot expand",
}
MATCH_PREFIX = {"grain": "G", "pillar": "I", "pcre": "E", "list": "L", "grain_pcre": "P",
                "pillar_pcre": "J", "ipcidr": "S", "nodegroup": "N"}  # fmt: skip


@dataclass(frozen=True)
class Representative:
    minion_id: str
    grains: dict[str, Any]
    roles: tuple[str, ...]


def representative(
    target: str, match: str | None = None, nodegroups: dict[str, str] | None = None
) -> Representative | str:
    """A minion the target matches, or why there is none. `match` is the top file's
    `match:` for the target (glob, grain, list, compound, nodegroup, …)."""
    expression = target.strip()
    if match and match not in ("glob", "compound"):
        if match not in MATCH_PREFIX:
            return f"uses `match: {match}`, which saltline cannot turn into a minion"
        expression = f"{MATCH_PREFIX[match]}@{expression}"
    return _compound(expression, nodegroups or {}, depth=0)


def _compound(expression: str, nodegroups: dict[str, str], depth: int) -> Representative | str:
    text = expression.replace("(", " ").replace(")", " ")
    reasons = []
    for alternative in re.split(r"\s+or\s+", text):  # any alternative that converts will do
        found = _conjunction(alternative.split(), nodegroups, depth)
        if isinstance(found, Representative):
            return found
        reasons.append(found)
    return reasons[0]


def _conjunction(words: list[str], nodegroups: dict[str, str], depth: int) -> Representative | str:
    minion_id: str | None = None
    grains: dict[str, Any] = {}
    roles: list[str] = []
    negated = False
    for word in words:
        if word == "and":
            continue
        if word == "not":
            negated = True
            continue
        if negated:  # a minion that is not X: the one built from the other terms
            negated = False
            continue
        term = _term(word, nodegroups, depth)
        if isinstance(term, str):
            return term
        minion_id = term.minion_id or minion_id
        grains.update(term.grains)
        roles += [role for role in term.roles if role not in roles]
    named_after = (
        roles[0]
        if roles
        else next((value for value in grains.values() if isinstance(value, str)), "minion")
    )
    return Representative(minion_id or _name(f"{named_after}1"), grains, tuple(roles))


def _term(word: str, nodegroups: dict[str, str], depth: int) -> Representative | str:
    prefixed = _PREFIXED.match(word)
    if prefixed is None:
        return Representative(_id_from_glob(word), {}, ())
    kind, expression = prefixed["kind"], prefixed["expression"]
    if kind in _UNSUPPORTED:
        return _UNSUPPORTED[kind].format(term=word)
    if kind == "L":
        return Representative(_name(expression.split(",")[0]), {}, ())
    if kind == "N":
        if expression not in nodegroups:
            return (
                f"names nodegroup {expression!r}, which no master config in the repository defines"
            )
        if depth > 5:
            return f"nodegroup {expression!r} refers to itself"
        return _compound(nodegroups[expression], nodegroups, depth + 1)
    if kind == "G":
        return _grain(word, expression)
    return f"uses the {kind}@ matcher ({word}), which saltline cannot turn into a minion"


def _grain(word: str, expression: str) -> Representative | str:
    if ":" not in expression:
        return f"grain match without a value ({word})"
    path, value = expression.rsplit(":", 1)
    keys = path.split(":")
    value = value.replace("*", "x").replace("?", "x")
    if keys == ["roles"]:
        return Representative("", {}, (value,))
    if len(keys) == 1 and keys[0] in PLATFORM_GRAINS:
        actual = PLATFORM_GRAINS[keys[0]]
        if fnmatch.fnmatch(actual.lower(), expression.rsplit(":", 1)[1].lower()):
            return Representative("", {}, ())
        return f"needs grain {keys[0]}={value}; saltline's test platforms are Debian"
    nested: Any = value
    for key in reversed(keys[1:]):
        nested = {key: nested}
    return Representative("", {keys[0]: nested}, ())


def _id_from_glob(glob: str) -> str:
    """`web*` → `web1`, `*` → `minion1`, `db?.lab` → `db1.lab`."""
    if glob.startswith("*"):
        glob = "minion" + glob
    text = re.sub(r"\[([^\]]+)\]", lambda m: m.group(1)[0], glob)
    text = re.sub(r"[*?]+", "1", text)
    return _name(text)


def _name(text: str) -> str:
    """A minion name saltline accepts: lower case, letters, digits, `_.-`."""
    name = re.sub(r"[^a-z0-9_.-]+", "-", text.lower()).strip("-_.")
    return name or "minion1"
