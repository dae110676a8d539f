"""The findings' rules, by area: each module declares `Rule`s (aws_assets.analysis.rules.model) over the lake's rows;
aws_assets.analysis.findings assembles them into `RULES`."""
