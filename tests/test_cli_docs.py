"""The README documents every command and option of the real parser, and every ``--help`` shows an example."""

from __future__ import annotations

import argparse
import re

import pytest
from seedfeed.cli.main import build_parser, main

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
EVERY_COMMAND = {"--quiet", "--verbose", "--debug"}   # documented once, above the per-command sections


def commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def long_options(parser: argparse.ArgumentParser) -> list[str]:
    return sorted({o for a in parser._actions for o in a.option_strings if o.startswith("--") and o != "--help"})


def test_the_parser_has_the_commands_the_issue_asks_for():
    assert {"build", "extract", "serve", "daemon", "status", "check", "init"} <= set(commands())


def section(name: str) -> str:
    """The README's ``### `seedfeed NAME` `` section, up to the next heading."""
    match = re.search(rf"^### `seedfeed {name}`\n(.*?)(?=^#)", README, re.MULTILINE | re.DOTALL)
    assert match, f"README has no section ### `seedfeed {name}`"
    return match.group(1)


@pytest.mark.parametrize("name", sorted(commands()))
def test_every_command_has_a_readme_section_naming_all_its_options(name):
    assert f"| `seedfeed {name}" in README, f"seedfeed {name} is missing from the commands table"
    text = section(name)
    missing = [o for o in long_options(commands()[name]) if o not in EVERY_COMMAND
               and not re.search(rf"{re.escape(o)}(?![\w-])", text)]
    assert missing == [], f"README section of seedfeed {name} does not mention these options"


def test_top_level_and_shared_options_are_in_the_commands_intro():
    intro = README.split("## Commands", 1)[1].split("### ", 1)[0]
    assert all(o in intro for o in long_options(build_parser()))
    assert all(all(o in long_options(p) for o in EVERY_COMMAND) for p in commands().values())
    assert all(f"`{o}`" in intro for o in EVERY_COMMAND)


@pytest.mark.parametrize("name", sorted(commands()))
def test_every_help_ends_with_an_example(name, capsys):
    with pytest.raises(SystemExit) as done:
        main([name, "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text and re.search(rf"^  seedfeed {name}\b", text, re.MULTILINE), text


def test_quick_start_stays_two_commands():
    quick = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in quick.strip().splitlines()] == [
        "pip install -e . && seedfeed build", "pip install -e '.[test]' && python -m pytest -q"]
