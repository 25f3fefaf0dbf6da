"""What the whole application shares: its settings (`funnelcast.settings`) and the
one-writer rule of the build file (`funnelcast.one_writer`).  The loader is ingest/,
the sample generator sample_exports/, the Dagster code location and the CLI orchestration/."""
