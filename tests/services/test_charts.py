"""The dashboards' charts: SVG drawn on the server, nothing fetched from another site, the
numbers kept beside it for the table. Pure functions: no app, no database."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from app.services import charts

MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]
SVG = "{http://www.w3.org/2000/svg}"


def _chart(series=None, **kwargs):
    series = series or [
        ("助老服务", [1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 7]),
        ("入户走访", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 5]),
    ]
    return charts.stacked_months("每月服务人次", MONTHS, series, **kwargs)


def test_the_chart_is_valid_svg_hidden_from_screen_readers():
    chart = _chart()
    root = ET.fromstring(chart.svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("aria-hidden") == "true" and root.get("focusable") == "false"
    assert root.get("viewBox") == f"0 0 {charts.WIDTH} {charts.HEIGHT}"


def test_nothing_from_another_site_no_script_no_inline_style():
    svg = _chart().svg
    assert re.findall(r"https?://[^\s\"'<>]*", svg) == ["http://www.w3.org/2000/svg"]
    assert "<script" not in svg and "<style" not in svg and " style=" not in svg
    assert "<!--" not in svg and "pygal.org" not in svg and "<title>" not in svg
    assert "tooltip" not in svg.replace("tooltip-trigger", "")


def test_one_bar_a_month_per_series_with_its_values():
    root = ET.fromstring(_chart().svg)
    series = root.findall(f".//{SVG}g[@class='series serie-0 color-0']")
    values = [d.text for d in series[0].iter(f"{SVG}desc") if d.get("class") == "value"]
    assert values == ["1", "2", "3", "0", "0", "0", "0", "0", "0", "0", "0", "7"]
    x_axis = root.find(f".//{SVG}g[@class='axis x']")
    assert [t.text for t in x_axis.iter(f"{SVG}text")] == [m[2:] for m in MONTHS]  # "26-01"
    second = root.findall(f".//{SVG}g[@class='series serie-1 color-1']")[0]
    assert [d.text for d in second.iter(f"{SVG}desc") if d.get("class") == "value"][-2:] == [
        "4",
        "5",
    ]


def test_the_numbers_for_the_table_and_empty_series_left_out():
    chart = _chart(
        [("助老服务", [1] * 12), ("空的", [0] * 12), ("入户走访", [0] * 11 + [5])],
    )
    assert [s.label for s in chart.series] == ["助老服务", "入户走访"]
    assert chart.columns == tuple(MONTHS)
    assert chart.column_totals == (1,) * 11 + (6,)
    assert chart.total == 17
    assert chart.caption == "每月服务人次"
    assert "空的" not in chart.svg


def test_no_data_says_so_in_words():
    chart = _chart([("助老服务", [0] * 12)], empty="这几个月没有统计到服务。")
    assert chart.series == () and chart.total == 0
    assert "这几个月没有统计到服务。" in chart.svg
    ET.fromstring(chart.svg)


def test_coordinates_rounded_and_tooltip_data_left_out():
    svg = _chart().svg
    assert re.search(r"\d\.\d\d", svg) is None
    assert 'class="x centered"' not in svg and 'class="x_label"' not in svg
    assert len(svg) < 9000


def test_labels_are_escaped():
    chart = _chart([("<b>&", [1] + [0] * 11)])
    assert "<b>" not in chart.svg
    ET.fromstring(chart.svg)


def test_beyond_the_top_series_the_rest_are_summed_into_one():
    series = [(f"站{n}", [n] + [0] * 11) for n in range(1, 13)]  # totals 1..12
    chart = _chart(series, top=4, rest="其他站点")
    assert [s.label for s in chart.series] == ["站10", "站11", "站12", "其他站点"]
    assert chart.series[-1].values == (sum(range(1, 10)),) + (0,) * 11
    assert chart.total == sum(range(1, 13))


def test_the_same_numbers_are_drawn_once():
    first = _chart()
    again = _chart()
    assert again.svg is first.svg
    other = _chart([("助老服务", [9] + [0] * 11)])
    assert other.svg != first.svg
