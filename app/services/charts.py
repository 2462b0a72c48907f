"""Charts drawn on the server as SVG (pygal), inline in the page: no chart JavaScript on
the phone, nothing fetched from another site. Pure functions: numbers in, SVG text out.

pygal's own output carries a ``<script>`` (its tooltips, loaded from the internet unless
``js=[]``), an inline ``<style>`` and comments with its web address. The page's CSP
(``style-src 'self'``) would refuse the inline style anyway, so all three are cut out
here and the chart is styled by ``static/css/stats.css`` (its ``.chart`` rules). Each
chart sits in a ``<figure>`` with its numbers as a table (``ChartData`` below): the SVG is
``aria-hidden``, the table is what a screen reader reads.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import lru_cache

import pygal
from pygal.style import Style

# pygal puts an old-style import hook on sys.meta_path (for its map plugins, unused here)
# that has no find_spec: every later import in the process then raises an ImportWarning
# (an error under the tests' warning filter, a 500 for the first export after a chart).
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
WIDTH, HEIGHT = 420, 270
MAX_SERIES = 10  # colours told apart; stats.css has one for each

# Only the sizes count (pygal lays the chart out with them); the look is stats.css's.
_STYLE_SIZES = Style(label_font_size=12, major_label_font_size=12, no_data_font_size=20)

_COMMENT = re.compile(r"<!--.*?-->", re.S)
_DEFS = re.compile(r"<defs>.*?</defs>", re.S)  # pygal's <style> and <script>
_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
_STYLE = re.compile(r"<style\b.*?</style>", re.S)
_STYLE_ATTR = re.compile(r'\sstyle="[^"]*"')
_EMPTY_ID = re.compile(r'\sid=""')
_TITLE = re.compile(r"<title>.*?</title>", re.S)
_TOOLTIP = re.compile(r'<g [^>]*class="plot tooltip-overlay">.*?<g class="text" /></g></g>', re.S)
_ROOT = re.compile(r"<svg\b([^>]*)>")
# pygal's tooltip data beside each bar (its script read them): only the value is kept
_TOOLTIP_DESC = re.compile(r'<desc class="(?:x centered|y centered|x_label)">[^<]*</desc>')
_LONG_FRACTION = re.compile(r"(\d\.\d)\d+")  # coordinates to a tenth of a unit
_ATTRIBUTE = re.compile(r'="([^"]*)"')


@dataclass(frozen=True)
class Series:
    label: str
    values: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.values)


@dataclass(frozen=True)
class ChartData:
    """One chart: its caption, the columns (months), the rows (series), and the SVG."""

    caption: str
    columns: tuple[str, ...]
    series: tuple[Series, ...]
    svg: str

    @property
    def column_totals(self) -> tuple[int, ...]:
        return tuple(sum(s.values[i] for s in self.series) for i in range(len(self.columns)))

    @property
    def total(self) -> int:
        return sum(s.total for s in self.series)


def clean_svg(raw: str) -> str:
    """pygal's SVG without script, style, comments, tooltips or titles; hidden from
    screen readers (the table beside it is the accessible version)."""
    svg = _COMMENT.sub("", raw)
    svg = _DEFS.sub("", svg)
    svg = _SCRIPT.sub("", svg)
    svg = _STYLE.sub("", svg)
    svg = _STYLE_ATTR.sub("", svg)
    svg = _EMPTY_ID.sub("", svg)
    svg = _TITLE.sub("", svg)
    svg = _TOOLTIP.sub("", svg)
    svg = _TOOLTIP_DESC.sub("", svg)
    svg = _ATTRIBUTE.sub(lambda m: '="' + _LONG_FRACTION.sub(r"\1", m.group(1)) + '"', svg)
    return _ROOT.sub(
        lambda m: f'<svg{m.group(1)} aria-hidden="true" focusable="false">', svg, count=1
    )


def stacked_months(
    caption: str,
    months: list[str],
    series: list[tuple[str, list[int]]],
    *,
    empty: str = "",
    top: int = MAX_SERIES,
    rest: str = "…",
) -> ChartData:
    """Stacked bars, one bar a month, one colour a series. Series with nothing in any month
    are left out; beyond the ``top`` largest (by total, ties in the order given) the rest
    are summed into one series called ``rest``, so the colours stay apart."""
    kept = tuple(
        Series(label, tuple(int(v or 0) for v in values)) for label, values in series if any(values)
    )
    kept = _top(kept, top, rest)
    return ChartData(caption, tuple(months), kept, _drawn(tuple(months), kept, empty))


@lru_cache(maxsize=128)
def _drawn(months: tuple[str, ...], series: tuple[Series, ...], empty: str) -> str:
    """The SVG of the bars (a pure function of its numbers, so the same numbers, as a past
    month's on every look at the page, are drawn once: pygal takes tens of ms)."""
    chart = pygal.StackedBar(
        js=[],
        disable_xml_declaration=True,
        no_prefix=True,
        width=WIDTH,
        height=HEIGHT,
        explicit_size=False,
        style=_STYLE_SIZES,
        show_legend=False,  # the legend is HTML beside the chart (stats.css colours it)
        x_label_rotation=-45,
        print_values=False,
        show_minor_y_guides=False,
        margin=8,
        spacing=6,
        no_data_text=empty,
        min_scale=2,
        max_scale=6,
    )
    chart.x_labels = [_short_month(month) for month in months]
    for item in series:
        chart.add(item.label, list(item.values))
    return clean_svg(chart.render(is_unicode=True))


def _top(series: tuple[Series, ...], top: int, rest: str) -> tuple[Series, ...]:
    if len(series) <= top:
        return series
    ranked = sorted(range(len(series)), key=lambda i: -series[i].total)
    chosen = sorted(ranked[: top - 1])
    others = [series[i] for i in ranked[top - 1 :]]
    summed = tuple(sum(values) for values in zip(*(s.values for s in others), strict=True))
    return (*(series[i] for i in chosen), Series(rest, summed))


def _short_month(month: str) -> str:
    """ "2026-03" as "26-03": twelve labels fit a phone."""
    return month[2:] if len(month) == 7 else month
