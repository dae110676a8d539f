"""Every command of the README's shell blocks that names the demo's lake runs on the synced simulated organisation
as it would after `make demo`, and the Findings section's queries name it (they failed after `make demo`)."""

import re
import shlex

from aws_assets.app.cli import main
from aws_assets_tests.unit.test_readme import README

DEMO_LAKE = "data/demo/lake"
READS_THE_LAKE = ("sql", "can", "who-can")


def readme_commands(section: str | None = None) -> list[list[str]]:
    """The arguments of each `.venv/bin/aws-assets` command in a ```sh block (a quoted query may span lines), of the
    whole README or of one section."""
    text = README.read_text()
    if section:
        text = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    commands = []
    for block in re.findall(r"```sh\n(.*?)\n```", text, flags=re.DOTALL):
        lines = block.splitlines()
        for start, line in enumerate(lines):
            if not line.startswith(".venv/bin/aws-assets "):
                continue
            for end in range(start + 1, len(lines) + 1):  # until its quotes close
                try:
                    words = shlex.split("\n".join(lines[start:end]), comments=True)
                except ValueError:
                    continue
                commands.append(words[1:])
                break
    return [c for c in commands if c and c[0] in READS_THE_LAKE and any("SELECT" in w or ":" in w for w in c[1:])]


def test_the_findings_queries_name_the_demo_lake():
    commands = readme_commands("Findings")
    assert len(commands) == 2
    missing = [" ".join(c) for c in commands if "--lake" not in c and "SELECT ..." not in c]
    assert missing == []
    assert {c[c.index("--lake") + 1] for c in commands if "--lake" in c} == {DEMO_LAKE}


def test_every_readme_command_on_the_demo_lake_runs(synced, capsys):
    for command in readme_commands():
        if "--lake" not in command:
            continue
        arguments = [synced["lake"].root if word == DEMO_LAKE else word for word in command]
        status = main(arguments)
        captured = capsys.readouterr()
        # `can` answers 1 for a denied request, by design; anything else is an error.
        assert status in ((0, 1) if command[0] == "can" else (0,)), (command, captured.err)
        assert captured.out and "Traceback" not in captured.err, command
