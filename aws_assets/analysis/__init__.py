"""Pure analysis of collected AWS documents (trust policies, ...): no AWS calls, no Dagster, no DuckDB."""
