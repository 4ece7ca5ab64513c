"""The connection to the Docker engine, through the Docker SDK."""

from __future__ import annotations

import os

import docker
import docker.errors
import requests.exceptions

from saltline.errors import EngineError

HOW_TO_START = (
    "start a Docker engine: on Debian as root, `bash ci/ensure-docker.sh` installs and starts one "
    "(make does this for you); elsewhere `sudo systemctl start docker`, or set DOCKER_HOST"
)


def connect(timeout: int = 600) -> docker.DockerClient:
    """A client for the engine named by DOCKER_HOST (default: the local socket), checked alive."""
    where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        raise EngineError(f"no Docker engine answers at {where} ({exc}); {HOW_TO_START}") from None
    return client
