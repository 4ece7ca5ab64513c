"""`saltline.yml`: its model, how it is loaded (the shipped schema, then `checks`)."""

from saltline.config.load import find, load, parse, with_environment
from saltline.config.model import (
    CONFIG_NAME,
    LOCK_NAME,
    OWN_OUTPUTS,
    Config,
    ContainerOptions,
    Exclusion,
    FormulaSpec,
    Minion,
    Platform,
    Promotion,
    Target,
    VerifyTests,
    target_key,
)

__all__ = [
    "CONFIG_NAME", "LOCK_NAME", "OWN_OUTPUTS", "Config", "ContainerOptions", "Exclusion",
    "FormulaSpec", "Minion", "Platform",
    "Promotion", "Target", "VerifyTests", "find", "load", "parse", "target_key",
    "with_environment",
]  # fmt: skip
