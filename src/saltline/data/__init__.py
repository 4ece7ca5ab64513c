"""Files shipped with the package: the minion image recipe, default lint configs, and the
JSON Schema of `saltline.yml` (`SCHEMA`), which validates it and serves editors."""

import json
from importlib import resources
from typing import Any

SCHEMA: dict[str, Any] = json.loads(
    resources.files(__package__).joinpath("saltline.schema.json").read_text("utf-8")
)
