"""`salt://` files that states name but no root serves: found at render, not at converge.

The render stage reads each minion's low state (`state.show_lowstate`): every argument
Salt fetches from (FETCHED) that is a `salt://` URL, or a list of them (of which Salt
uses the first that exists), must name a file or directory in some state root or
formula. Other arguments are data (a template's `context` and `defaults`, a formula's
map): a `salt://` URL there is never fetched, so it is not checked. A miss is a render
error at the SLS line that names the URL (or the state's ID):

    >>> chunk = {"__sls__": "web", "__id__": "page", "state": "file", "fun": "managed",
    ...          "source": "salt://web/files/index.html",
    ...          "context": {"key": "salt://users/files/alice.pub"}}
    >>> [url for url, _ in salt_urls(chunk)]
    ['salt://web/files/index.html']
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

from saltline.pipeline.render_errors import Estate, RenderError, line_of

SCHEME = "salt://"
# The arguments Salt fetches from, of any state function: file.managed/append/prepend,
# file.recurse, archive.extracted, pkg.installed's `sources`, cmd.script, cron.file,
# ssh_auth, their source hashes, pkgrepo's key, and a template's defaults file
FETCHED = {"source", "sources", "source_hash", "key_url", "defaults_file"}
# …and what some functions fetch from their name: (state, function) → arguments
FETCHED_BY_FUNCTION = {("cmd", "script"): {"name"}, ("cron", "file"): {"name"}}


def salt_urls(chunk: dict[str, Any]) -> Iterator[tuple[str, list[str]]]:
    """(how the state names it, the alternatives) for each argument Salt fetches from
    that is a salt:// URL."""
    function = (str(chunk.get("state")), str(chunk.get("fun")))
    fetched = FETCHED | FETCHED_BY_FUNCTION.get(function, set())
    for key, value in chunk.items():
        if key not in fetched:
            continue
        alternatives = [url for url in _strings(value) if url.startswith(SCHEME)]
        if alternatives:
            yield alternatives[0], alternatives


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for element in value for item in _strings(element)]
    if isinstance(value, dict):  # pkg.installed `sources: [{name: url}]`
        return [item for element in value.values() for item in _strings(element)]
    return []


def relative_path(url: str) -> str | None:
    """The path a salt:// URL names in the base environment (None: another saltenv)."""
    parts = urlsplit(url)
    saltenv = parse_qs(parts.query).get("saltenv", ["base"])[0]
    if saltenv != "base":
        return None
    return (parts.netloc + parts.path).strip("/")


def missing(lowstate: list[dict[str, Any]], estate: Estate) -> list[RenderError]:
    """A render error for every state whose salt:// argument no state root serves."""
    errors = []
    for chunk in lowstate:
        for shown, alternatives in salt_urls(chunk):
            paths = [relative_path(url) for url in alternatives]
            if any(path is None or estate.file(path).exists() for path in paths):
                continue
            file = estate.sls_file(str(chunk.get("__sls__", "")))
            line = line_of(file, shown) or line_of(file, f"{chunk.get('__id__')}:")
            more = f" (nor any of {len(alternatives) - 1} alternatives)" if len(paths) > 1 else ""
            errors.append(
                RenderError(
                    estate.shown(file),
                    line,
                    f"{shown}{more} is in no state root or formula; add the file, or fix the "
                    "path (salt://PATH is PATH under a root of roots.states or a formula)",
                    state_id=str(chunk.get("__id__")),
                )
            )
    return errors
