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
