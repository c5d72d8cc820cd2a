"""`samsim report` and `samsim results` on a real study."""

import base64
import csv
import io
import shutil
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
import yaml
from matplotlib.image import imread
from typer.testing import CliRunner

import samsim
from samsim.cli import app

BASE = Path(samsim.__file__).parent / "scenarios" / "single_battery.yaml"
SMALL = Path(__file__).parents[1] / "sweep" / "data" / "small_sweep.yaml"


class _Doc(HTMLParser):
    """Collects images, captions, headings, preformatted text and every URL-like attribute."""

    def __init__(self):
        super().__init__()
        self.images: list[dict] = []
        self.captions: list[str] = []
        self.pres: list[str] = []
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.table_rows = 0
        self._in: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        a = dict(attrs)
        for key in ("src", "href", "action", "data"):
            if key in a:
                self.urls.append(a[key])
        if tag == "img":
            self.images.append(a)
        if tag == "tr":
            self.table_rows += 1
        if tag in ("figcaption", "pre"):
            self._in, self._text = tag, []

    def handle_endtag(self, tag):
        if tag == self._in:
            text = "".join(self._text)
            (self.captions if tag == "figcaption" else self.pres).append(text)
            self._in = None

    def handle_data(self, data):
        if self._in:
            self._text.append(data)


@pytest.fixture(scope="module")
def studies(tmp_path_factory):
    """One study with events (3 points x 2 replications) and a copy without them."""
    tmp = tmp_path_factory.mktemp("report")
    data = yaml.safe_load(SMALL.read_text())
    data["base"] = str(BASE)
    sweep = tmp / "sweep.yaml"
    sweep.write_text(yaml.safe_dump(data, sort_keys=False))
    with_events = tmp / "with_events"
    res = CliRunner().invoke(
        app, ["sweep", str(sweep), "--out", str(with_events), "--workers", "2", "--events"]
    )
    assert res.exit_code == 0, res.output
    # The same replications without their event logs, as `samsim sweep` without
    # --events stores them (the replication rows do not depend on it).
    without = tmp / "without_events"
    without.mkdir()
    shutil.copy(with_events / "study.duckdb", without / "study.duckdb")
    con = duckdb.connect(str(without / "study.duckdb"))
    con.execute("DELETE FROM events")
    con.execute("UPDATE study SET events = false")
    con.close()
    return with_events, without


def _parse(path: Path) -> _Doc:
    doc = _Doc()
    doc.feed(path.read_text("utf-8"))
    doc.close()
    return doc


def _one(con, sql, *args):
    return con.execute(sql, list(args)).fetchone()[0]


def test_report_is_one_self_contained_html_file_with_the_expected_plots(studies):
    study_dir, _ = studies
    res = CliRunner().invoke(app, ["report", str(study_dir)])
    assert res.exit_code == 0, res.output
    doc = _parse(study_dir / "report.html")
    assert len(doc.images) == 5
    for img in doc.images:
        assert img["src"].startswith("data:image/png;base64,")
        png = base64.b64decode(img["src"].split(",", 1)[1])
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        pixels = imread(io.BytesIO(png), format="png")
        assert pixels.shape[0] > 200 and pixels.shape[1] > 500
        assert img["alt"]
    assert all(u.startswith("data:") for u in doc.urls)  # nothing fetched from elsewhere
    assert "script" not in doc.tags and "link" not in doc.tags
    assert len(doc.captions) == 5
    assert doc.captions[1].startswith("Figure 2. Interceptors spent per replication against")
    assert doc.captions[2].startswith("Figure 3. Cost-exchange ratio against cruise_missiles")
    assert doc.captions[0].startswith("Figure 1. Leakers per replication against cruise_missiles")
    assert doc.captions[3].startswith("Figure 4. Engagement timeline of point 2")
    assert doc.captions[4].startswith("Figure 5. Where leakers came from at point 2")
    # Captions state numbers that come from the store.
    con = duckdb.connect(str(study_dir / "study.duckdb"), read_only=True)
    n_leak = _one(con, "SELECT sum(leakers) FROM replications WHERE point = 2")
    assert f"over all 2 stored replications ({n_leak} leakers)" in doc.captions[4]
    rep = int(doc.captions[3].split("replication ")[1].split(" ")[0])
    leak_rep, kills_rep = con.execute(
        "SELECT leakers, kills FROM replications WHERE point = 2 AND replication = ?", [rep]
    ).fetchone()
    con.close()
    assert f"{leak_rep} leakers" in doc.captions[3]
    assert f"{kills_rep} kills" in doc.captions[3]
    # The scenario as run: the complete YAML of the point shown.
    run = yaml.safe_load(doc.pres[0])
    assert run["raids"][1]["count"] == 6
    assert run["duration_s"] == 400
    assert "name: small_sweep" in doc.pres[1]  # the sweep file as given
    assert doc.table_rows >= 1 + 3  # header and one row per point


def test_report_without_events_reruns_the_replication_and_matches_the_store(studies, tmp_path):
    _, study_dir = studies
    out = tmp_path / "r.html"
    res = CliRunner().invoke(
        app, ["report", str(study_dir), "--out", str(out), "--point", "1", "--replication", "0"]
    )
    assert res.exit_code == 0, res.output
    text = out.read_text("utf-8")
    assert "its metrics are <b>identical to</b> the stored ones" in text
    doc = _parse(out)
    assert len(doc.images) == 5
    assert doc.captions[3].startswith(
        "Figure 4. Engagement timeline of point 1 (cruise_missiles=4), replication 0 (re-run"
    )
    assert doc.captions[4].startswith("Figure 5. Engagement map of point 1, replication 0")
    assert yaml.safe_load(doc.pres[0])["raids"][1]["count"] == 4


def test_report_of_a_missing_point_or_replication_exits_2(studies, tmp_path):
    study_dir, _ = studies
    res = CliRunner().invoke(app, ["report", str(study_dir), "--point", "9"])
    assert res.exit_code == 2
    assert "--point: point 9 has no stored replication" in res.stderr
    res = CliRunner().invoke(app, ["report", str(study_dir), "--point", "0", "--replication", "5"])
    assert res.exit_code == 2
    assert "--replication: point 0 has no stored replication 5" in res.stderr


def test_results_prints_per_point_means_and_runs_read_only_sql(studies):
    study_dir, _ = studies
    res = CliRunner().invoke(app, ["results", str(study_dir), "--csv"])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert [r["label"] for r in rows] == [f"cruise_missiles={n}" for n in (2, 4, 6)]
    con = duckdb.connect(str(study_dir / "study.duckdb"), read_only=True)
    for r in rows:
        mean = _one(con, "SELECT avg(leakers) FROM replications WHERE point = ?", int(r["point"]))
        assert float(r["leakers_mean"]) == pytest.approx(mean)
        assert int(r["n"]) == 2
        assert float(r["leakers_ci_low"]) <= mean <= float(r["leakers_ci_high"])
    con.close()
    res = CliRunner().invoke(app, ["results", str(study_dir)])
    assert res.exit_code == 0
    assert "small_sweep: 3 point(s), 6 replication(s)" in res.stdout
    sql = "SELECT point, sum(leakers) AS leaked FROM replications GROUP BY point ORDER BY point"
    res = CliRunner().invoke(app, ["results", str(study_dir), "--sql", sql, "--csv"])
    assert res.exit_code == 0
    got = list(csv.reader(io.StringIO(res.stdout)))
    assert got[0] == ["point", "leaked"]
    assert len(got) == 4
    for bad, message in (
        ("DELETE FROM replications", "read-only mode"),
        ("SELECT * FROM read_csv('/etc/hostname')", "file system operations are disabled"),
        ("SELEKT 1", "syntax error"),
    ):
        res = CliRunner().invoke(app, ["results", str(study_dir), "--sql", bad])
        assert res.exit_code == 2, bad
        assert message in res.stderr
    con = duckdb.connect(str(study_dir / "study.duckdb"), read_only=True)
    assert _one(con, "SELECT count(*) FROM replications") == 6
    con.close()
