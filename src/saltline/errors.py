"""Errors a user can act on, each carrying the CLI exit code it maps to."""


class SaltlineError(Exception):
    """A usage, configuration or environment error: exit code 2."""

    exit_code = 2


class ConfigError(SaltlineError):
    """`saltline.yml` is missing or invalid."""


class EngineError(SaltlineError):
    """No usable Docker engine, or the engine refused an operation."""


class ImageError(SaltlineError):
    """A base or minion image could not be pulled or built."""


class GitError(SaltlineError):
    """A git command failed, or a revision does not resolve."""


class UnshippableError(GitError):
    """A commit that cannot be made into a release as it is (a symlink under a root):
    refused when tested as when promoted."""


class CommandTimeout(SaltlineError):
    """A command (local, in a container or on a master) outlived its timeout."""


class ContainerError(SaltlineError):
    """A container did not start or boot, or is not there to run a command in."""


class SaltOutputError(SaltlineError):
    """Salt printed something that is not the JSON asked for (a state.apply return, …)."""


class MasterError(SaltlineError):
    """A command on a master failed: which master, and what it said."""

    def __init__(self, address: object, message: str):
        super().__init__(f"master {address}: {message}")
        self.address = address


class MasterUnreachable(MasterError):
    """A master cannot be reached: exit 2, nothing changed."""


class LockHeld(SaltlineError):
    """Another promotion holds the deploy lock (exit 1: refused, nothing changed)."""

    exit_code = 1
