"""What a container gets of the estate: its roots, copied through the engine's API at
their mount paths, without version control, saltline's own outputs or caches."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from saltline.engine import estate_view
from saltline.estate.layout import Layout, Root


class Recorder:
    name = "saltline-test"

    def __init__(self) -> None:
        self.archives: list[tuple[str, bytes]] = []

    def put_archive(self, path: str, data: bytes) -> bool:
        self.archives.append((path, data))
        return True


def test_each_root_is_copied_at_its_mount_path_without_what_is_not_estate(tmp_path: Path):
    formula = tmp_path / "formula"  # a formula repository: its root is the repository
    for name in ("motd/init.sls", ".git/HEAD", "reports/junit.xml", ".saltline/renders/x",
                 "motd/__pycache__/x.pyc", "docs/reports/kept.md"):  # fmt: skip
        (formula / name).parent.mkdir(parents=True, exist_ok=True)
        (formula / name).write_text("x")
    (tmp_path / "pillar").mkdir()
    (tmp_path / "pillar" / "top.sls").write_text("base: {}\n")
    layout = Layout(states=(Root(formula, "/srv/salt/0", "formula", True),),
                    pillar=(Root(tmp_path / "pillar", "/srv/pillar/0", "pillar", True),),
                    pillarenvs={}, formula_commits={})  # fmt: skip
    container = Recorder()
    estate_view.copy_into(container, layout)  # type: ignore[arg-type]
    [(where, data)] = container.archives
    assert where == "/"
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        files = sorted(m.name for m in tar.getmembers() if m.isfile())
    assert files == ["srv/pillar/0/top.sls", "srv/salt/0/docs/reports/kept.md",
                     "srv/salt/0/motd/init.sls"]  # fmt: skip
