"""When the assets computed over the whole lake refresh by themselves."""

from dagster import AutomationCondition

# Eager, except that it does not wait for every upstream partition to exist: most accounts never sync most of the
# 34 commercial regions, and an upstream partition that was never materialized must not hold the graph back.
REFRESH_WHEN_UPSTREAM_CHANGES = (
    AutomationCondition.eager()
    .without(~AutomationCondition.any_deps_missing())
    .with_label("eager, whatever regions were never synced")
)
