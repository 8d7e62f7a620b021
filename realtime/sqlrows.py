"""Model instances from the rows of a written-out SELECT, for the queries
of every socket handshake (accounts.sessions, chat.selectors).

The ORM compiles a query anew on every call, and a raw() queryset works
out its column mapping and converters on every call too: most of a
handshake's database-thread CPU (bench/FINDINGS.md). Here the column list
and each column's converters (SQLite returns datetimes as text and booleans
as integers; the ORM's compiler would apply the same) are made once per
database connection: the converters are its backend's methods.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

from django.db import models


class RowReader:
    """Rows of `SELECT <model's concrete columns>, <extra>...` as instances
    of `model`; each extra column is set on the instance by its name."""

    def __init__(self, model: type[models.Model], extra: Sequence[str] = ()) -> None:
        self.model = model
        self.extra = tuple(extra)
        self._fields = model._meta.concrete_fields
        self._attnames = [f.attname for f in self._fields]
        self._converters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def columns(self, conn, alias: str = "") -> str:
        """The model's columns as the SELECT list, each `alias.`-prefixed."""
        prefix = f"{alias}." if alias else ""
        return ", ".join(prefix + conn.ops.quote_name(f.column) for f in self._fields)

    def _converters_for(self, conn) -> list[tuple[Any, tuple]]:
        found = self._converters.get(conn)
        if found is None:
            found = []
            table = self.model._meta.db_table
            for field in self._fields:
                col = field.get_col(table)
                converts = conn.ops.get_db_converters(col) + col.get_db_converters(conn)
                found.append((col, tuple(converts)))
            self._converters[conn] = found
        return found

    def instance(self, conn, row: Sequence[Any]) -> models.Model:
        """The instance of one row, as the ORM would have loaded it."""
        converters = self._converters_for(conn)
        values = []
        for (col, converts), raw in zip(converters, row, strict=False):
            for convert in converts:
                raw = convert(raw, col, conn)
            values.append(raw)
        obj = self.model.from_db(conn.alias, self._attnames, values)
        for name, value in zip(self.extra, row[len(converters) :], strict=True):
            setattr(obj, name, value)
        return obj
