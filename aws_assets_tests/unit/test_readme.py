"""The README's queries run against the simulated organisation and still give what the README shows."""

import re

from aws_assets_tests.conftest import REPO

README = REPO / "README.md"


def readme_queries(title: str = "Queries people run") -> list[tuple[str, str]]:
    """(query, the output block that follows it) for each ```sql block of a section."""
    section = README.read_text().split(f"## {title}", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)\n```\s*\n```\n(.*?)\n```", section, flags=re.DOTALL)


def shown_rows(output: str) -> list[tuple[str, ...]]:
    """The cells of each row of DuckDB's box output, without the header and type lines."""
    lines = [line for line in output.splitlines() if line.startswith("│")][2:]
    return [tuple(cell.strip() for cell in line.strip("│").split("│")) for line in lines]


def as_shown(value: object) -> str:
    """A value as DuckDB's box output prints it."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def test_the_readme_shows_three_queries_with_their_output():
    assert len(readme_queries()) == 3


def test_each_readme_query_gives_the_rows_it_shows(sql):
    queries = readme_queries() + readme_queries("What each principal can reach")
    assert len(queries) == 5
    for query, output in queries:
        rows = [tuple(as_shown(value) for value in row) for row in sql(query)]
        assert rows == shown_rows(output), query
