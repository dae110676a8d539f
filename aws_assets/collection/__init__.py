"""Syncing accounts into the lake without Dagster: one partition, and many accounts in parallel."""
