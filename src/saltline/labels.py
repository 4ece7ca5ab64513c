"""Labels put on everything saltline creates, so that it can all be found and removed."""

MANAGED = "io.saltline.managed"
RUN = "io.saltline.run"
MINION = "io.saltline.minion"
PLATFORM = "io.saltline.platform"
KIND = "io.saltline.kind"
INPUT_HASH = "io.saltline.input-hash"
SALT_VERSION = "io.saltline.salt-version"


def for_run(run_id: str, **extra: str) -> dict[str, str]:
    """Labels for an object that belongs to one `saltline test` run."""
    return {MANAGED: "true", RUN: run_id, **extra}


MANAGED_FILTER = {"label": f"{MANAGED}=true"}
