"""README.md as a new admin reads it: its contents line names every section, in order, by a working
anchor; every command in its Commands table exists."""
from __future__ import annotations

import re
from pathlib import Path

from backchannel.cli import build_parser

README = (Path(__file__).parent.parent / "README.md").read_text()


def _anchor(heading: str) -> str:  # GitHub's: lower case, punctuation dropped, spaces as dashes
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def test_the_contents_line_lists_every_section_in_order():
    contents = README.split("\n\n## ", 1)[0].split("Contents: ", 1)[1]
    listed = re.findall(r"\[([^\]]+)\]\(#([^)]+)\)", contents)
    headings = re.findall(r"^## (.+)$", README, re.M)
    assert [name for name, _ in listed] == headings
    assert all(anchor == _anchor(name) for name, anchor in listed)


def _choices(parser):  # noqa: ANN001, ANN202
    return parser._subparsers._group_actions[0].choices


def test_every_command_in_the_commands_table_exists():
    table = README.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    named = re.findall(r"^\| `backchannel ([a-z0-9 \-|\\]+?)(?: \[| [A-Z(]|`)", table, re.M)
    assert len(named) > 20
    assert {words.split()[0] for words in named} == set(_choices(build_parser())), "a command the table misses"
    for words in named:
        parsers = [build_parser()]
        for word in words.split():
            names = word.split("\\|")  # `a\|b\|c`: each of them
            for parser, name in ((p, n) for p in parsers for n in names):
                assert name in _choices(parser), f"README names `backchannel {words}`: no {name!r}"
            parsers = [_choices(p)[name] for p in parsers for name in names]
