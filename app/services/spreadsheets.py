"""Writing tables for a spreadsheet: CSV and XLSX, with text that can never run as a formula.

A table is a title (the XLSX sheet's first row: who and which month), headings and rows of
plain values (text, int, Decimal, float, None). The same rows make either format, so the
CSV of a table and its sheet in the workbook always agree. Writers take rows one batch at
a time (an export of many rows is built in batches, never held as objects in memory).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

# A cell a spreadsheet reads as a formula (or DDE command) when it starts with one of these:
# = + - @, and tab or carriage return, which some spreadsheets skip before such a sign.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 (and so XLSX) cannot hold; openpyxl refuses them.
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
SHEET_TITLE_MAX = 31
FIRST_COLUMN_WIDTH = 24
_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_text(value: str) -> str:
    """Text a spreadsheet shows as text, never runs (CSV/formula injection): a leading
    apostrophe before = + - @ tab or CR."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def cell(value):
    """One value as a cell: numbers stay numbers, dates become ISO text, text is guarded."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, date):
        return value.isoformat()
    return safe_text(str(value))


@dataclass
class Table:
    """One table: a sheet of the workbook, or a CSV file of its own."""

    code: str  # the ``table=`` of a CSV link, and the file's name
    sheet: str  # the sheet's name in the workbook
    title: str  # the sheet's first row
    headings: list[str]
    rows: list[Sequence] = field(default_factory=list)
    total: Sequence | None = None  # the last row (合计), when the table has one


class CsvWriter:
    """A CSV file (UTF-8 with a BOM, so spreadsheets in China open it as Chinese)."""

    content_type = CSV_TYPE
    extension = "csv"

    def __init__(self, headings: Sequence[str]) -> None:
        self._out = io.StringIO()
        self._writer = csv.writer(self._out, lineterminator="\r\n")
        self._writer.writerow([cell(value) for value in headings])

    def add_rows(self, rows: Iterable[Sequence]) -> None:
        self._writer.writerows([cell(value) for value in row] for row in rows)

    def finish(self) -> bytes:
        return ("\ufeff" + self._out.getvalue()).encode("utf-8")


class XlsxWriter:
    """A workbook written sheet by sheet in openpyxl's write-only mode (memory stays flat
    whatever the number of rows)."""

    content_type = XLSX_TYPE
    extension = "xlsx"

    def __init__(self) -> None:
        from openpyxl import Workbook

        self._book = Workbook(write_only=True)
        self._sheet = None
        self._titles: set[str] = set()

    def start_sheet(self, name: str, title: str, headings: Sequence[str]) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        self._sheet = self._book.create_sheet(self._sheet_title(name))
        # Room for station and village names; the title and headings stay in view.
        self._sheet.column_dimensions["A"].width = FIRST_COLUMN_WIDTH
        self._sheet.freeze_panes = "B3"
        heading = WriteOnlyCell(self._sheet, value=self._xlsx(cell(title)))
        heading.font = Font(bold=True, size=13)
        self._sheet.append([heading])
        bold = Font(bold=True)
        cells = []
        for text in headings:
            one = WriteOnlyCell(self._sheet, value=self._xlsx(cell(text)))
            one.font = bold
            cells.append(one)
        self._sheet.append(cells)

    def add_rows(self, rows: Iterable[Sequence]) -> None:
        for row in rows:
            self._sheet.append([self._xlsx(cell(value)) for value in row])

    def add_table(self, table: Table) -> None:
        self.start_sheet(table.sheet, table.title, table.headings)
        self.add_rows(table.rows)
        if table.total is not None:
            self.add_rows([table.total])

    def finish(self) -> bytes:
        out = io.BytesIO()
        self._book.save(out)
        return out.getvalue()

    @staticmethod
    def _xlsx(value):
        return _ILLEGAL.sub("", value) if isinstance(value, str) else value

    def _sheet_title(self, name: str) -> str:
        """A sheet name Excel takes: no []:*?/\\, at most 31 characters, unique."""
        base = _SHEET_TITLE_BAD.sub("_", name).strip("'") or "Sheet"
        base = base[:SHEET_TITLE_MAX]
        title, number = base, 2
        while title.lower() in self._titles:
            suffix = f"({number})"
            title = base[: SHEET_TITLE_MAX - len(suffix)] + suffix
            number += 1
        self._titles.add(title.lower())
        return title


def table_csv(table: Table) -> bytes:
    """One table as a CSV file (its title is the file's name, not a row)."""
    writer = CsvWriter(table.headings)
    writer.add_rows(table.rows)
    if table.total is not None:
        writer.add_rows([table.total])
    return writer.finish()


def tables_xlsx(tables: Iterable[Table]) -> bytes:
    """Tables as the sheets of one workbook, in order."""
    writer = XlsxWriter()
    for table in tables:
        writer.add_table(table)
    return writer.finish()
