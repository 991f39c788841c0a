"""One page of a list call: ``items``, ``next_cursor``, and ``to_dataframe()`` for notebooks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")

PANDAS_MISSING = (
    "to_dataframe() needs pandas, which is not installed; "
    "install it with: pip install 'nexa-sdk[pandas]'"
)


class Page(Generic[T]):
    """A page of records. Iterate it, index it, or turn it into a pandas DataFrame; pass
    ``next_cursor`` as ``cursor=`` for the next page (or use ``iterate()`` for all of them)."""

    __slots__ = ("items", "next_cursor")

    def __init__(self, items: Sequence[T], next_cursor: str | None = None) -> None:
        self.items: list[T] = list(items)
        self.next_cursor = next_cursor

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> T:
        return self.items[index]

    def __repr__(self) -> str:
        more = ", more" if self.has_more else ""
        return f"<Page of {len(self.items)}{more}>"

    def to_records(self) -> list[dict[str, Any]]:
        """The items as plain dicts (JSON types: UUIDs, dates and times as strings)."""
        return [to_record(item) for item in self.items]

    def to_dataframe(self) -> Any:
        """The items as a pandas DataFrame, one column per field (pandas must be installed)."""
        return records_to_dataframe(self.items)


def to_record(item: Any) -> dict[str, Any]:
    if isinstance(item, BaseModel):
        return item.model_dump(mode="python")
    if isinstance(item, dict):
        return dict(item)
    raise TypeError(f"cannot turn a {type(item).__name__} into a record")


def records_to_dataframe(items: Sequence[Any]) -> Any:
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(PANDAS_MISSING) from None
    return pd.DataFrame.from_records([to_record(item) for item in items])


__all__ = ["PANDAS_MISSING", "Page", "records_to_dataframe", "to_record"]
