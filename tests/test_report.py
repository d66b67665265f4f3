"""Report header and tables: markup from data and parameters is shown as text."""

from __future__ import annotations

from nncf_helpers.report import data_banner, header_html, table_html

SCRIPT = "<script>alert(1)</script>"
IMAGE = "<img src=x onerror=alert(1)>"


def header(**changes) -> str:
    arguments = {"title": "01 Split", "synthetic": False, "source": "/data/mpd",
                 "params": {"SEED": 0}, "inputs_fingerprint": "abc123"}
    arguments.update(changes)
    return header_html(**arguments)


def test_header_escapes_parameter_value():
    text = header(params={"SEED_TRACK_URI": SCRIPT})
    assert SCRIPT not in text
    assert "&#x27;&lt;script&gt;alert(1)&lt;/script&gt;&#x27;" in text


def test_header_escapes_parameter_name():
    text = header(params={IMAGE: 1})
    assert IMAGE not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


def test_header_escapes_source():
    text = header(source=IMAGE)
    assert IMAGE not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


def test_header_escapes_title_and_extra():
    text = header(title=SCRIPT, extra={"Seed track": IMAGE})
    assert SCRIPT not in text
    assert IMAGE not in text
    assert "Seed track: &lt;img" in text


def test_header_shows_fingerprint_and_packages():
    text = header(inputs_fingerprint="f00d")
    assert "<code>f00d</code>" in text
    assert "numpy " in text


def test_banner_says_synthetic():
    banner = data_banner(True, "data/raw/synthetic/seed-0")
    assert banner.startswith("SYNTHETIC DATA")
    assert "data/raw/synthetic/seed-0" in banner


def test_banner_for_real_data():
    banner = data_banner(False, "/data/mpd")
    assert banner == "Real MPD data read from /data/mpd."
    assert "SYNTHETIC" not in banner


def test_header_shows_synthetic_banner():
    assert "SYNTHETIC DATA" in header(synthetic=True)
    assert "SYNTHETIC DATA" not in header(synthetic=False)


def test_table_escapes_cells():
    text = table_html([{"name": SCRIPT, "artist": 'Tom & "Jerry"'}])
    assert SCRIPT not in text
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>" in text
    assert "<td>Tom &amp; &quot;Jerry&quot;</td>" in text


def test_table_escapes_column_names():
    text = table_html([{IMAGE: 1}])
    assert IMAGE not in text
    assert "<th>&lt;img src=x onerror=alert(1)&gt;</th>" in text


def test_table_formats_numbers_and_none():
    text = table_html([{"a": 0.123456, "b": 1234567, "c": None}], digits=3)
    assert "<td>0.123</td>" in text
    assert "<td>1,234,567</td>" in text
    assert "<td>–</td>" in text


def test_table_follows_given_columns():
    text = table_html([{"a": "x", "b": "y"}], columns=["b"])
    assert text == (
        "<table><thead><tr><th>b</th></tr></thead><tbody><tr><td>y</td></tr></tbody></table>")


def test_table_without_rows():
    assert table_html([]) == "<p>(no rows)</p>"
