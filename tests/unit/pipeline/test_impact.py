"""The impact: two rendered views compared, secrets never shown, no render artefacts."""

from __future__ import annotations

from pathlib import Path

from saltline.pipeline import impact_report
from saltline.pipeline.impact import Impact, RenderedView, compare

SECRET = "-----BEGIN PGP MESSAGE-----\nhQEMA1234\n-----END PGP MESSAGE-----\n"
OTHER_SECRET = "-----BEGIN PGP MESSAGE-----\nhQEMA9876\n-----END PGP MESSAGE-----\n"


def chunk(state_id: str, order: int, **arguments: object) -> dict[str, object]:
    return {"__id__": state_id, "__sls__": "nginx.config", "__env__": "base", "state": "file",
            "fun": "managed", "name": f"/etc/{state_id}", "order": order, **arguments}  # fmt: skip


def view(chunks, files=None, pillar=None) -> RenderedView:
    return RenderedView.from_salt(chunks, files or {}, pillar or {})


def test_the_same_render_in_another_order_has_no_impact():
    before = view([chunk("a", 10000, mode="0644", require=[{"pkg": "nginx"}]), chunk("b", 10001)],
                  pillar={"shop": {"port": 80, "name": "x"}})  # fmt: skip
    after = view([chunk("b", 10000), chunk("a", 10005, require=[{"pkg": "nginx"}], mode="0644")],
                 pillar={"shop": {"name": "x", "port": 80}})  # fmt: skip
    assert compare(before, after).empty


def test_states_added_removed_and_changed_argument_by_argument():
    before = view([chunk("a", 1, mode="0644", user="root"), chunk("gone", 2)])
    after = view([chunk("a", 1, mode="0600", group="www"), chunk("new", 2)])
    impact = compare(before, after)
    assert [c.id for c in impact.states_added] == ["new"]
    assert [c.id for c in impact.states_removed] == ["gone"]
    [changed] = impact.states_changed
    assert (changed.id, changed.function, changed.sls) == ("a", "file.managed", "nginx.config")
    assert changed.arguments == ['added group: "www"', "removed user", 'mode: "0644" → "0600"']


def test_a_secret_never_shows_from_either_side():
    before = view([chunk("a", 1, contents=SECRET)], {"a|file|/etc/a": f"key={SECRET}"},
                  {"db": {"password": SECRET}})  # fmt: skip
    after = view([chunk("a", 1, contents=OTHER_SECRET)], {"a|file|/etc/a": f"key={OTHER_SECRET}"},
                 {"db": {"password": OTHER_SECRET, "token": SECRET}})  # fmt: skip
    impact = compare(before, after)
    assert impact.states_changed[0].arguments == ["contents: encrypted value changed"]
    assert impact.files == {"/etc/a": "/etc/a: encrypted value changed\n"}
    assert impact.pillar == ["added db:token: <encrypted value>",
                             "changed db:password: encrypted value changed"]  # fmt: skip
    text = "\n".join(impact_report.target_text("prod/web1@debian12/3007.13", impact))
    assert "hQEMA" not in text


def test_a_rendered_file_shows_as_a_unified_diff():
    before = view([chunk("site", 1)], {"site|file|/etc/site": "listen 80;\nroot /srv;\n"})
    after = view([chunk("site", 1)], {"site|file|/etc/site": "listen 8080;\nroot /srv;\n"})
    diff = compare(before, after).files["/etc/site"]
    assert "-listen 80;\n+listen 8080;\n" in diff and diff.startswith("--- a/etc/site")


def test_a_target_only_one_side_has_is_all_added_or_all_removed():
    only = view([chunk("a", 1)])
    assert [c.id for c in compare(None, only).states_added] == ["a"]
    assert [c.id for c in compare(only, None).states_removed] == ["a"]


def test_the_summary_has_a_table_and_a_block_per_target_cut_when_long(tmp_path: Path):
    before = view(
        [chunk("site", 1)], {"site|file|/etc/site": "".join(f"{n}\n" for n in range(200))}
    )
    after = view(
        [chunk("site", 1)], {"site|file|/etc/site": "".join(f"{n}!\n" for n in range(200))}
    )
    key = "prod/web1@debian12/3007.13"
    impact = Impact("a" * 40, {key: compare(before, after), "dev/db1@debian12/3007.13":
                               compare(before, before)})  # fmt: skip
    section = "\n".join(impact_report.summary_section(impact, tmp_path / "reports"))
    assert f"| {key} | 0 | 1 | 0 |" in section
    assert f"<details><summary>{key}: 0 states, 1 file, 0 pillar keys</summary>" in section
    assert "more lines in reports/impact/prod_web1@debian12_3007.13.md" in section
    assert "dev/db1" not in section
    impact_report.write(impact, tmp_path / "reports")
    written = (tmp_path / "reports" / "impact" / "prod_web1@debian12_3007.13.md").read_text()
    assert "+199!" in written
