"""SQL that turns one text value into its contract type, with a mapping's parser options.

Each function returns a DuckDB expression over a text expression; a value that does not
parse becomes NULL, which the loader reports (file, column, line, value, what was
expected) instead of loading.  ``suggestion`` looks at values that failed and names the
mapping option that would read them, for the error message.
"""

from __future__ import annotations

from typing import Any

from ingest.contract import DUCKDB_TYPES, TYPE_EXPECTATIONS
from ingest.sql_text import sql_literal

# Formats tried, in this order, to suggest `formats:` for dates nobody described.
CANDIDATE_FORMATS = (
    "%d %b, %Y %H:%M:%S", "%d %b, %Y %H:%M", "%d %b, %Y", "%d %b %Y %H:%M:%S", "%d %b %Y",
    "%b %d, %Y %I:%M %p", "%b %d, %Y %H:%M:%S", "%b %d, %Y",
    "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M %p", "%m/%d/%Y",
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y",
    "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d", "%d-%b-%Y %H:%M:%S", "%d-%b-%Y", "%Y%m%d",
    "%Y-%m-%dT%H:%M:%S.%g%z", "%Y-%m-%d %H:%M",
)
DEFAULT_TRUE = ("1", "true")
DEFAULT_FALSE = ("0", "false")
# A money string: an optional symbol or code, digits with separators, an optional K/M/B.
MONEY_PATTERN = r"^[^0-9.,\-]{0,5}\s*-?\s*[0-9][0-9., ]*\s*[KkMmBb]?\s*[^0-9.,]{0,5}$"
OFFSET_PATTERN = r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)$"
PARSER_OPTIONS = ("formats", "timezone", "money", "decimal_mark", "percent", "fraction", "true_values", "false_values")



def sql_list(values) -> str:
    return "[" + ", ".join(sql_literal(v) for v in values) + "]"


def _strptime(t: str, formats: list[str]) -> str:
    return f"try_strptime({t}, {sql_list(formats)})"


def typed_expr(contract_type: str, t: str, opts: dict[str, Any]) -> str:
    """`t` (text, trimmed, empty = NULL) as `contract_type`; NULL when it does not parse."""
    formats = opts.get("formats")
    tz = opts.get("timezone")
    if contract_type == "text":
        return t
    if contract_type == "timestamp":
        if formats:
            parsed = _strptime(t, formats)
            if any("%z" in f or "%Z" in f for f in formats):
                return f"timezone('UTC', {parsed})"
            return f"timezone('UTC', timezone({sql_literal(tz)}, {parsed}))" if tz else parsed
        if tz:
            # An offset in the value is honoured; a value without one is in `timezone`.
            return (f"CASE WHEN regexp_matches({t}, '{OFFSET_PATTERN}') THEN timezone('UTC', TRY_CAST({t} AS TIMESTAMPTZ)) "
                    f"ELSE timezone('UTC', timezone({sql_literal(tz)}, TRY_CAST({t} AS TIMESTAMP))) END")
        # An offset in the value is honoured; a value without one is UTC.
        return f"timezone('UTC', TRY_CAST({t} AS TIMESTAMPTZ))"
    if contract_type == "date":
        return f"CAST({_strptime(t, formats)} AS DATE)" if formats else f"TRY_CAST({t} AS DATE)"
    if contract_type == "bool":
        trues = opts.get("true_values") or DEFAULT_TRUE
        falses = opts.get("false_values") or DEFAULT_FALSE
        return (f"CASE WHEN lower({t}) IN ({', '.join(sql_literal(v.lower()) for v in trues)}) THEN true "
                f"WHEN lower({t}) IN ({', '.join(sql_literal(v.lower()) for v in falses)}) THEN false END")
    number = _number_expr(t, opts)
    if contract_type == "integer":
        return f"TRY_CAST(round({number}) AS BIGINT)" if (opts.get("percent") or opts.get("money")) else f"TRY_CAST({t} AS BIGINT)"
    return number


def _number_expr(t: str, opts: dict[str, Any], target: str | None = None) -> str:
    target = target or DUCKDB_TYPES["decimal"]
    if opts.get("percent"):
        scale = " * 100" if opts.get("fraction") else ""
        return f"(TRY_CAST(trim(replace({t}, '%', '')) AS {target}){scale})"
    if opts.get("money"):
        mark = opts.get("decimal_mark", ".")
        body = f"regexp_replace({t}, '[KkMmBb][^0-9]*$', '')"
        if mark == ",":
            digits = f"replace(regexp_replace({body}, '[^0-9,\\-]', '', 'g'), ',', '.')"
        else:
            digits = f"regexp_replace({body}, '[^0-9.\\-]', '', 'g')"
        suffix = f"upper(regexp_extract({t}, '[0-9.,]\\s*([KkMmBb])[^0-9A-Za-z]*$', 1))"
        return (f"(CASE WHEN regexp_full_match({t}, '{MONEY_PATTERN}') THEN TRY_CAST({digits} AS {target}) * "
                f"CASE {suffix} WHEN 'K' THEN 1000 WHEN 'M' THEN 1000000 WHEN 'B' THEN 1000000000 ELSE 1 END END)")
    return f"TRY_CAST({t} AS {target})"


# A decimal stored with the warehouse's scale may be rounded by at most this share of its
# value: a rate such as 0.0000000012345 would keep only a few digits, and is rejected.
MAX_DECIMAL_ROUNDING = 1e-7


def rounding_loss(contract_type: str, t: str, opts: dict[str, Any]) -> str | None:
    """SQL true when `t` parses as a decimal whose stored value (the contract's scale) is
    rounded by more than MAX_DECIMAL_ROUNDING of it; None for types that are not decimal."""
    if contract_type != "decimal":
        return None
    exact = _number_expr(t, opts, "DOUBLE")
    stored = f"CAST({_number_expr(t, opts)} AS DOUBLE)"
    return f"(abs({exact} - {stored}) > {MAX_DECIMAL_ROUNDING} * abs({exact}))"


def expectation(contract_type: str, opts: dict[str, Any]) -> str:
    """What a value was expected to look like, for messages."""
    if opts.get("formats") and contract_type in ("timestamp", "date"):
        return f"a {contract_type} in one of the formats {opts['formats']}"
    if opts.get("money") and contract_type in ("decimal", "integer"):
        return "an amount such as $22,700.00 or $115.00K"
    if opts.get("percent"):
        return "a percentage such as 45% or 45"
    if contract_type == "bool" and (opts.get("true_values") or opts.get("false_values")):
        return (f"a boolean: one of {list(opts.get('true_values') or DEFAULT_TRUE)} (true) or "
                f"{list(opts.get('false_values') or DEFAULT_FALSE)} (false)")
    return TYPE_EXPECTATIONS[contract_type]


def suggestion(con, contract_type: str, samples: list[str]) -> str | None:
    """The parser option that reads every sampled failing value, as YAML, or None."""
    samples = [s for s in samples if s is not None][:20]
    if not samples:
        return None
    values = "(VALUES " + ", ".join(f"({sql_literal(s)})" for s in samples) + ") AS v(s)"
    if contract_type in ("timestamp", "date"):
        fits = []
        for fmt in CANDIDATE_FORMATS:
            n = con.execute(f"SELECT count(*) FROM {values} WHERE try_strptime(trim(s), {sql_literal(fmt)}) IS NOT NULL").fetchone()[0]
            if n == len(samples):
                fits.append(fmt)
        if fits:
            shown = ", ".join(f"'{f}'" for f in fits[:2])
            note = " (both read these values: check which the export uses)" if len(fits) > 1 else ""
            return f"formats: [{shown}]{note}"
        return None
    if contract_type in ("decimal", "integer"):
        if all("%" in s for s in samples):
            return "percent: true"
        n = con.execute(f"SELECT count(*) FROM {values} WHERE regexp_full_match(trim(s), '{MONEY_PATTERN}')").fetchone()[0]
        if n == len(samples):
            comma_decimal = all("," in s and ("." not in s or s.rfind(",") > s.rfind(".")) and len(s) - s.rfind(",") - 1 in (1, 2)
                                for s in samples)
            return "money: true" + (", decimal_mark: ','" if comma_decimal else "")
        return None
    if contract_type == "bool":
        distinct = sorted({s.strip() for s in samples})
        return f"true_values: [...], false_values: [...] (the file writes {', '.join(repr(d) for d in distinct[:6])})"
    return None
