"""The one table printer of the CLI: left-aligned columns two spaces apart (`tabulate`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tabulate import tabulate


def format_table(
    headers: Sequence[str], rows: Iterable[Sequence[object]], *, ruled: bool = True
) -> str:
    """Cells are printed as given (no number parsing, so "0.90" stays "0.90"); `ruled` puts
    a line of dashes under the headers.

    The headers go in as the first row: given as `headers`, tabulate would widen every
    column by two spaces beyond its widest cell."""
    table = [[str(cell) for cell in headers], *([str(cell) for cell in row] for row in rows)]
    if ruled:
        widths = [max(len(cell) for cell in column) for column in zip(*table, strict=True)]
        table.insert(1, ["-" * width for width in widths])
    return tabulate(table, tablefmt="plain", stralign="left", disable_numparse=True)
