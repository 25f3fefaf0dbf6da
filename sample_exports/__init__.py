"""sample_exports: a deterministic generator of realistic sample export drops.

``generate(out, scale, seed, weeks)`` writes ``<out>/<drop>/<kind>.csv`` for every file kind
of the export contract (ingest/contract.py): the first drop is a FULL export of everything
that exists at its date, each later weekly drop a DELTA (the records created or changed
that week, the week's new audit, activity, campaign-log, MQL, spend, rate and target rows,
and a few deletions).  Drops are named after their Monday export date, ``YYYY-MM-DD``.

The company it simulates sells software to businesses, with two motions (docs/domain.md):

* hunting: marketing campaigns touch prospects, who become MQLs (an ``mql`` event and a
  lead); an SDR works the lead with calls and meetings; 20-40% of the leads convert into a
  ``New Business`` opportunity in Prospecting (SRL), owned by an account executive, and a
  new Prospect account that becomes a Customer when the deal is won;
* farming: customers (an installed base plus every new logo won) get ``Existing Business``
  opportunities with no lead (a few with a lead from the customer), won about 75% of the
  time against about 30% for new business.

Opportunities move through SugarCRM's standard stages with skipped stages, regressions,
reopened deals, close dates that slip or get pushed out of the quarter, amount changes,
a forecast category (commit_stage) that matures over the quarter and owner hand-overs;
every change of an audited field is an ``opportunities_audit`` row, so replaying the audit
from an opportunity's creation values gives its current row.

Time.  The data ends at a fixed "as of" Monday, ``AS_OF`` = 2026-11-23 (never today's
date: the output must not depend on when it runs).  The last drop is dated ``AS_OF``; the
first (full) drop is ``weeks`` weeks earlier, and the history starts ``pre_weeks`` weeks
before the first drop.  A drop dated D holds what happened before D 00:00 UTC (the full
drop: everything before it; a delta: the 7 days before it).  No change on or after AS_OF
is written (dates planned for later may be: expected close dates, planned meetings,
campaign end dates).

Scale defaults (``SCALES``; row counts for seed 42, over all files and drops):

======  =========  =====  =====  ========================  =======  =============  ==========
scale   pre_weeks  weeks  drops  history                   leads    opportunities  rows
======  =========  =====  =====  ========================  =======  =============  ==========
small   40         12     13     2025-11-24 .. 2026-11-23  ~210     ~110           ~4,500
medium  52         26     27     2025-05-26 .. 2026-11-23  ~11,000  ~6,000         ~270,000
large   104        52     53     2023-11-27 .. 2026-11-23  ~340,000 ~200,000       ~10,200,000
======  =========  =====  =====  ========================  =======  =============  ==========

On one core: small 0.2 s, medium 3 s, large about 100 s (1.7 GB of CSV); peak memory
under 100 MB at every scale.

Determinism.  Everything is drawn from one ``random.Random(seed)`` in a fixed order and
nothing depends on the clock, hash seeds or dict ordering beyond insertion order: the same
(scale, seed, weeks) gives byte-identical files.

Memory.  The company is simulated one story at a time (a new lead and everything that
follows from it, or one installed-base customer): a story's whole future is decided when it
starts, its rows go to the drop of the week they happen in, and a record (lead,
opportunity, account, ...) writes only its last version of each drop.  Rows are buffered
per (drop, kind) and appended to the CSV files every ``FLUSH_ROWS`` rows, so memory does
not grow with the scale.

The package, by job: ``vocabulary`` (SugarCRM's stages, forecast categories and
opportunity types, read from the preset in ingest/presets/sugarcrm/), ``simulation``
(the company and its stories: ``scales``, ``clock``, ``reference_data``, ``company``,
``activities``, ``opportunities``, ``stories``), ``writing`` (the CSV files of each drop)
and ``generate_drops`` (``generate()``, the entry point of ``funnelcast generate``).
"""

from sample_exports.generate_drops import generate
from sample_exports.simulation.scales import AS_OF, SCALES
from sample_exports.vocabulary import STAGES
from sample_exports.writing import FILE_KINDS, GenerateSummary

__all__ = ["AS_OF", "FILE_KINDS", "SCALES", "STAGES", "GenerateSummary", "generate"]
