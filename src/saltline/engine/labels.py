"""Labels put on everything saltline creates, so that it can all be found and removed."""

MANAGED = "io.saltline.managed"
RUN = "io.saltline.run"
MINION = "io.saltline.minion"
PLATFORM = "io.saltline.platform"
ENVIRONMENT = "io.saltline.environment"
KIND = "io.saltline.kind"
# On images only. Containers inherit their image's labels, so images must not carry
# MANAGED: a container someone starts by hand from a saltline image is not ours.
IMAGE = "io.saltline.image"
INPUT_HASH = "io.saltline.input-hash"
SALT_VERSION = "io.saltline.salt-version"


def for_run(run_id: str, **extra: str) -> dict[str, str]:
    """Labels for an object that belongs to one `saltline test` run."""
    return {MANAGED: "true", RUN: run_id, **extra}


Filters = dict[str, str | list[str] | bool]  # the Docker SDK's `filters=` argument
MANAGED_FILTER: Filters = {"label": f"{MANAGED}=true"}
IMAGE_FILTER: Filters = {"label": IMAGE}
