"""Names and values written into DuckDB SQL text, where a bound parameter cannot go:
for the loader (column names and values from the user's files) and the publisher
(schema, table and column names of the marts, and their comments)."""

from __future__ import annotations


def quote_ident(name: str) -> str:
    """`name` as a quoted SQL identifier: any name is safe, whatever quotes or spaces it holds."""
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: str | None) -> str:
    """`value` as a SQL string literal (NULL for None)."""
    if value is None:
        return "NULL"
    return "'" + str(value).replace("'", "''") + "'"
