"""A target's rendered view (`impact.RenderedView`), read by Salt inside the render container.

One Salt process per minion × environment, with the render's key-less configuration
(secrets stay ciphertext, in every environment): the low state, the pillar, and the
content of every file a `file.managed` state takes from a source, as Salt itself
produces it for that minion (`file.source_list` picks the source, `file.get_managed`
renders a template with the state's context and defaults; a plain source is the file
Salt serves). Nothing is applied.
"""

from __future__ import annotations

import json
from typing import Any

from docker.models.containers import Container

from saltline.engine.containers import run_command
from saltline.errors import CommandTimeout
from saltline.pipeline.impact import RenderedView

_COLLECT = r"""
import hashlib, json, sys, salt.client, salt.config
caller = salt.client.Caller(mopts=salt.config.minion_config(sys.argv[1]))
low = caller.cmd("state.show_lowstate")
low = [c for c in low if isinstance(c, dict)] if isinstance(low, list) else []
pillar = caller.cmd("pillar.items")
LARGEST = 256 * 1024

def content(path):
    with open(path, "rb") as handle:
        data = handle.read(LARGEST + 1)
    if len(data) > LARGEST:
        return "!larger than 256 KiB, sha256 " + hashlib.sha256(data).hexdigest()
    try:
        return data.decode()
    except UnicodeDecodeError:
        return "!binary, sha256 " + hashlib.sha256(data).hexdigest()

def managed(chunk):
    env = chunk.get("saltenv") or chunk.get("__env__") or "base"
    source, source_hash = caller.cmd(
        "file.source_list", chunk["source"], chunk.get("source_hash", ""), env)
    if not chunk.get("template"):
        cached = caller.cmd("cp.cache_file", source, env)
        return content(cached) if cached else "!not served: " + str(source)
    sfn, _, comment = caller.cmd(
        "file.get_managed", chunk["name"], chunk["template"], source, source_hash,
        chunk.get("source_hash_name"), chunk.get("user"), chunk.get("group"),
        chunk.get("mode"), chunk.get("attrs"), env, chunk.get("context"),
        chunk.get("defaults"), skip_verify=bool(chunk.get("skip_verify")))
    return content(sfn) if sfn else "!not rendered: " + str(comment)

files = {}
for chunk in low:
    if chunk.get("state") == "file" and chunk.get("fun") == "managed" and chunk.get("source"):
        key = "%s|%s|%s" % (chunk.get("__id__", ""), chunk.get("state", ""), chunk.get("name", ""))
        try:
            files[key] = managed(chunk)
        except Exception as exc:
            files[key] = "!not rendered: %s: %s" % (type(exc).__name__, exc)
print(json.dumps({"low": low, "pillar": pillar, "files": files}, default=str))
"""


def collect(container: Container, python: str, config_file: str, timeout: int) -> RenderedView:
    """The view of the minion `config_file` configures; ValueError says why there is none."""
    try:
        done = run_command(container, [python, "-c", _COLLECT, config_file], timeout)
    except CommandTimeout as exc:
        raise ValueError(str(exc)) from None
    try:
        document: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return RenderedView.from_salt(document["low"], document["files"], document["pillar"])
    except (ValueError, IndexError, KeyError, TypeError):
        raise ValueError(f"Salt did not say what it renders: {done.stderr[-500:]}") from None
