"""Lists cut in pages, read with one row more than a page shows: that row tells whether
another page follows, without counting the rows."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def window(page: int, size: int) -> tuple[int, int]:
    """The limit and offset that read page `page` (from 1) of `size` rows, and one row more."""
    return size + 1, (page - 1) * size


def cut(rows: list[T], size: int) -> tuple[list[T], bool]:
    """The rows read by `window`: the page's own, and whether another page follows."""
    return rows[:size], len(rows) > size
