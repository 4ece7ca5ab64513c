"""Which targets `--changed` converges: by rendered impact where rendering sees, by files
where it cannot, by files alone without an impact."""

from __future__ import annotations

from saltline.pipeline.change_selection import selected
from saltline.pipeline.impact import Impact, StateChange, TargetImpact
from tests.unit.pipeline.test_render_cache import DB, WEB, estate


def test_the_rendered_impact_decides_what_it_sees_and_files_what_it_cannot(tmp_path):
    cfg = estate(tmp_path)
    web, db = sorted(cfg.targets(), key=lambda target: target.minion.name != "web1")
    used = {web.key: WEB, db.key: DB}
    impact = Impact("b" * 40, {
        web.key: TargetImpact(),
        db.key: TargetImpact(states_changed=[StateChange("pg", "pkg.installed", "postgres")]),
    })  # fmt: skip
    # the top file would select both by files; the impact names db1
    assert selected(cfg, [web, db], ["salt/top.sls"], used, impact) == {
        db.key: "rendered impact: 1 state, 0 files, 0 pillar keys"
    }
    # a custom module renders as before, but may change what both do
    assert selected(cfg, [web, db], ["salt/_modules/shop.py"], used, Impact("b" * 40, {})) == {
        web.key: "salt/_modules/shop.py changed (a custom module: rendering cannot see it)",
        db.key: "salt/_modules/shop.py changed (a custom module: rendering cannot see it)",
    }


def test_without_an_impact_files_decide(tmp_path):
    cfg = estate(tmp_path)
    web, db = sorted(cfg.targets(), key=lambda target: target.minion.name != "web1")
    used = {web.key: WEB, db.key: DB}
    unavailable = Impact("b" * 40, unavailable="the base does not render")
    for impact in (None, unavailable):
        assert selected(cfg, [web, db], ["salt/nginx/files/site.conf"], used, impact) == {
            web.key: "salt/nginx/files/site.conf changed (file attribution)"
        }
