"""Turn Salt's render errors into findings that name a file and line of the estate.

Salt reports render failures as free text; each kind names what failed in its own
way. These pure functions read what `salt-call --local --out=json state.apply
mock=True` printed (stdout and stderr) plus the estate's files, and point at the
line to fix:

    locate(parse_apply(stdout), stderr, Estate(Path("."), (Path("salt"),), (Path("pillar"),)))
    # [RenderError(path='salt/web.sls', line=4, message="Jinja variable 'x' is undefined")]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from saltline.estate.layout import Layout
from saltline.salt_results import ApplyRun, unloadable_module, waits_only_for


@dataclass(frozen=True)
class Estate:
    """Where the SLS files live: state and pillar roots, in the order Salt searches them."""

    root: Path  # the repository: messages name files relative to it
    state_roots: tuple[Path, ...]
    pillar_roots: tuple[Path, ...] = ()
    names: dict[Path, str] = field(default_factory=dict)  # roots outside it: formulas
    # the repository's own roots exported from a commit (`estate.exports`), by name
    exported: dict[Path, str] = field(default_factory=dict)

    @classmethod
    def of(cls, root: Path, layout: Layout) -> Estate:
        roots = (*layout.states, *layout.pillar)
        return cls(
            root=root.resolve(),
            state_roots=tuple(r.host for r in layout.states),
            pillar_roots=tuple(r.host for r in layout.pillar),
            names={r.host: r.shown for r in roots if not r.own},
            exported={
                r.host: r.shown
                for r in roots
                if r.own and not r.host.is_relative_to(root.resolve())
            },
        )

    def roots(self, pillar: bool = False) -> tuple[Path, ...]:
        return self.pillar_roots if pillar else self.state_roots

    def sls_file(self, sls: str, pillar: bool = False) -> Path:
        """`nginx.config` → `salt/nginx/config.sls`, or `salt/nginx/config/init.sls`, in
        the first root that has either."""
        candidates = []
        for root in self.roots(pillar):
            base = root.joinpath(*sls.split("."))
            candidates += [base.with_name(base.name + ".sls"), base / "init.sls"]
        return next((c for c in candidates if c.is_file()), candidates[0])

    def file(self, relative: str, pillar: bool = False) -> Path:
        """The file Salt serves for a path relative to the roots (the first that has it)."""
        paths = [root / relative for root in self.roots(pillar)]
        return next((path for path in paths if path.exists()), paths[0])

    def shown(self, path: Path) -> str:
        for root, name in self.exported.items():  # as the file is named in the repository
            if path.is_relative_to(root):
                return str(Path(name) / path.relative_to(root))
        for root, name in self.names.items():
            if path.is_relative_to(root):
                return f"{name}: {path.relative_to(root)}"
        try:
            return str(path.resolve().relative_to(self.root))
        except ValueError:
            return str(path)

    @property
    def first_root(self) -> Path:
        return self.state_roots[0]


@dataclass(frozen=True)
class RenderError:
    path: str
    line: int
    message: str
    state_id: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        state = f" (state {self.state_id})" if self.state_id else ""
        return f"{where}:{state} {self.message}"


_RENDERING_STATE = re.compile(
    r"^Rendering SLS '(?P<env>[^:']+):(?P<sls>[^']+)' failed: (?P<detail>.*)", re.S
)
_RENDERING_PILLAR = re.compile(r"^Rendering SLS '(?P<sls>[^']+)' failed")
_MISSING_STATE_SLS = re.compile(
    r"^Specified SLS (?P<sls>\S+) in saltenv (?P<env>\S+) is not available"
)
_MISSING_PILLAR_SLS = re.compile(r"^Specified SLS '(?P<sls>[^']+)' in environment '(?P<env>[^']+)'")
_PILLAR_DETAIL = re.compile(
    r"^\[CRITICAL\] Rendering SLS '(?P<sls>[^']+)' failed, render error:\n"
    r"(?P<detail>.*?)(?=^Traceback|^\[|\Z)",
    re.S | re.M,
)
_TEMPLATE_FRAME = re.compile(r"^(?P<path>/\S+?/files/[^/]+/(?P<rel>\S+))\((?P<line>\d+)\):", re.M)
_TEMPLATE_NOT_FOUND = re.compile(r"TemplateNotFound: (?P<name>\S+)")
_JINJA_TEMPLATE_LINE = re.compile(r'File "<template>", line (?P<line>\d+)')
_JINJA_LINE = re.compile(r"; line (?P<line>\d+)")
_YAML_LINE = re.compile(r"line (?P<line>\d+), column \d+")
_GPG_FAILURE = re.compile(r"gpg: (decryption failed: [^\\\n]+)")
_GPG_ENCRYPTED_TO = re.compile(r"ENC_TO ([0-9A-F]{16})")
_CONFLICTING_ID = re.compile(
    r"^Detected conflicting IDs.*?conflicting ID is '(?P<id>[^']+)' and is found in SLS "
    r"'[^:']+:(?P<first>[^']+)' and SLS '[^:']+:(?P<second>[^']+)'",
    re.S,
)
_REQUISITE_TARGET = re.compile(r"^\s+(?P<module>\w+): (?P<target>.+?)\s*$", re.M)


def locate(run: ApplyRun, stderr: str, estate: Estate) -> list[RenderError]:
    """Every render problem in one mock apply, each pinned to a file and line."""
    errors: list[RenderError] = []
    pillar_details = {m["sls"]: m["detail"].strip() for m in _PILLAR_DETAIL.finditer(stderr)}
    for message in run.errors:
        if message.startswith("Pillar failed to render"):
            continue  # a header; the messages that follow name the pillar SLS
        errors.append(_locate_message(message, pillar_details, estate))
    # A module that loads only once the highstate installed its package is checked at
    # converge, not here; so are the states that require it.
    unloadable = {s.state_id for s in run.failed if unloadable_module(s)}
    for state in run.failed:  # under mock=True only compile-time problems fail
        if state.state_id in unloadable or waits_only_for(state, unloadable):
            continue
        errors.append(_locate_requisite(state.sls, state.state_id, state.comment, estate))
    return errors


def _locate_message(message: str, pillar_details: dict[str, str], estate: Estate) -> RenderError:
    if match := _RENDERING_STATE.match(message):
        return _rendering_failure(match["sls"], match["detail"], estate, pillar=False)
    if match := _RENDERING_PILLAR.match(message):
        detail = pillar_details.get(match["sls"], message)
        return _rendering_failure(match["sls"], detail, estate, pillar=True)
    if match := _CONFLICTING_ID.match(message):
        first, second = (estate.sls_file(match[key]) for key in ("first", "second"))
        lines = [line_of(file, f"{match['id']}:") for file in (first, second)]
        return RenderError(
            estate.shown(first),
            lines[0],
            f"state ID {match['id']!r} is also declared in {estate.shown(second)}:{lines[1]}; "
            "state IDs must be unique across the estate and its formulas: rename one",
            state_id=match["id"],
        )
    if match := _MISSING_STATE_SLS.match(message):
        path, line = _find_reference(estate.state_roots, match["sls"], estate)
        return RenderError(path, line, f"includes {match['sls']}, which does not exist")
    if match := _MISSING_PILLAR_SLS.match(message):
        path, line = _find_reference(estate.pillar_roots, match["sls"], estate)
        return RenderError(path, line, f"pillar SLS {match['sls']} does not exist ({match['env']})")
    return RenderError(estate.shown(estate.first_root), 0, message.strip())


def _rendering_failure(sls: str, detail: str, estate: Estate, pillar: bool) -> RenderError:
    """A Jinja or YAML error in an SLS, or in a template it imports, or a secret that
    cannot be decrypted."""
    if detail.startswith("Could not decrypt cipher"):
        path = estate.shown(estate.sls_file(sls, pillar))
        return RenderError(path, 0, _undecryptable(detail))
    first_line = detail.strip().split("\n---", 1)[0].strip()
    if missing := _TEMPLATE_NOT_FOUND.search(detail):
        path = estate.shown(estate.sls_file(sls, pillar))
        line = _JINJA_TEMPLATE_LINE.search(detail)
        return RenderError(
            path,
            int(line["line"]) if line else line_of(estate.sls_file(sls, pillar), missing["name"]),
            f"imports {missing['name']}, which is in no state root or formula; add it, or "
            "fix the path (relative to a root of roots.states or a formula)",
        )
    if frame := _TEMPLATE_FRAME.search(detail):  # the error is in an imported template
        summary = first_line.splitlines()[0]
        file = estate.file(frame["rel"], pillar)
        return RenderError(estate.shown(file), int(frame["line"]), summary)
    path = estate.shown(estate.sls_file(sls, pillar))
    if match := _JINJA_LINE.search(first_line):
        return RenderError(path, int(match["line"]), first_line[: match.start()].strip())
    yaml_lines = _YAML_LINE.findall(detail)
    if yaml_lines:  # the last mark is where the parser gave up
        summary = " ".join(
            line.strip() for line in detail.splitlines() if "<unicode string>" not in line
        )
        return RenderError(path, int(yaml_lines[-1]), f"invalid YAML: {summary.strip()}")
    return RenderError(path, 0, first_line)


def _undecryptable(detail: str) -> str:
    """What gpg said, without the ciphertext, and what to do."""
    reasons = sorted(set(_GPG_FAILURE.findall(detail))) or ["gpg could not decrypt it"]
    keys = sorted(set(_GPG_ENCRYPTED_TO.findall(detail)))
    to = f" (encrypted to key {', '.join(keys)})" if keys else ""
    return (
        f"a GPG-encrypted value could not be decrypted{to}: {'; '.join(reasons)}. "
        "Give the minions the private key (saltline.yml: secrets.gpg_key; on masters, "
        "gpg_keydir), or encrypt the value to a key they have (tests/secrets/encrypt.sh)"
    )


def _locate_requisite(sls: str, state_id: str, comment: str, estate: Estate) -> RenderError:
    """A requisite naming a state that does not exist: point at the requisite's line."""
    file = estate.sls_file(sls)
    targets = [m["target"] for m in _REQUISITE_TARGET.finditer(comment)]
    line = line_of(file, targets[0]) if targets else line_of(file, f"{state_id}:")
    summary = " ".join(comment.split())
    return RenderError(estate.shown(file), line, summary, state_id=state_id)


def _find_reference(roots: tuple[Path, ...], sls: str, estate: Estate) -> tuple[str, int]:
    """The first SLS that lists `sls` (in an include or a top file), and the line."""
    pattern = re.compile(rf"^\s*-\s*['\"]?{re.escape(sls)}['\"]?\s*$", re.M)
    for root in roots:
        for file in sorted(root.rglob("*.sls")):
            text = file.read_text(errors="replace")
            if match := pattern.search(text):
                return estate.shown(file), text.count("\n", 0, match.start()) + 1
    return estate.shown(roots[0] if roots else estate.first_root), 0


def line_of(file: Path, needle: str) -> int:
    try:
        for number, line in enumerate(file.read_text(errors="replace").splitlines(), start=1):
            if needle in line:
                return number
    except OSError:
        pass
    return 0
