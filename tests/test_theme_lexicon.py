"""The user lexicon in the theme file (issue 14.4): a `[lexicon]` table in the same format as
`--lexicon words.toml`, merged under the flag (the flag's entries win), and checked with one line
per bad key or pattern (exit 2 in the CLI, an InputError -> 422 for the service's options)."""

from __future__ import annotations

import json

import pytest

from app.config import load_settings
from app.core.queue_manager import Trust
from app.errors import InputError
from app.services.options import parse_render_options
from app.services.planning import Plan, merge_lexicons
from tests.conftest import CLI

DOC = "# Names\n\nDijkstra met Knuth at 5000 mAh.\n\n## More\n\nThen Knuth left.\n"

THEME = """base = "dark"
[lexicon.en]
"Dijkstra" = "Dike-stra"
"Knuth" = "Kah-nooth"
[[lexicon.en.regex]]
pattern = '(\\d+) ?mAh'
say = '\\1 milliamp hours'
"""


def spoken(cli: CLI, *args: str) -> str:
    (cli.cwd / "talk.md").write_text(DOC, encoding="utf-8")
    result = cli.run("plan", "talk.md", "--json", "--voice", "espeak:en-us", *args, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    plan = Plan.model_validate(json.loads(result.stdout))
    return " ".join(s.spoken or "" for s in plan.scenes)


def test_the_theme_files_lexicon_is_said_and_the_flag_wins(cli: CLI) -> None:
    (cli.cwd / "brand.toml").write_text(THEME, encoding="utf-8")
    said = spoken(cli, "--theme", "brand.toml")
    assert "Dike-stra" in said and "Kah-nooth" in said and "milliamp hours" in said
    assert "Dijkstra" not in said
    (cli.cwd / "words.toml").write_text('[en]\n"Knuth" = "Canoot"\n', encoding="utf-8")
    said = spoken(cli, "--theme", "brand.toml", "--lexicon", "words.toml")
    assert "Canoot" in said and "Kah-nooth" not in said  # the flag's word wins
    assert "Dike-stra" in said and "milliamp hours" in said  # the theme's other entries stay
    assert "Dijkstra" in spoken(cli)  # no theme, no lexicon: as written


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ('[[lexicon.en.regex]]\npattern = "(unclosed"\nsay = "x"\n', "regex"),
        ('[lexicon.en]\n"" = "nothing"\n', "empty"),
        ('[lexicon.klingon-language-x]\n"a" = "b"\n', "section"),
        ('[[lexicon.en.regex]]\npattern = "a"\nsay = "b"\ncolour = "red"\n', "colour"),
    ],
)
def test_a_bad_lexicon_in_the_theme_is_one_line_and_exit_2(cli: CLI, table: str, named: str) -> None:
    (cli.cwd / "talk.md").write_text(DOC, encoding="utf-8")
    (cli.cwd / "bad.toml").write_text('base = "dark"\n' + table, encoding="utf-8")
    for command in ("plan", "render"):
        result = cli.run(command, "talk.md", "--theme", "bad.toml", timeout=60)
        assert result.returncode == 2 and result.stdout == b"", command
        lines = result.stderr.decode().strip().splitlines()
        assert len(lines) == 1 and "bad.toml" in lines[0] and "lexicon" in lines[0], lines
        assert named in lines[0] and "Traceback" not in lines[0]
    assert not (cli.cwd / "talk.mp4").exists()
    with pytest.raises(InputError, match="lexicon"):  # the service's options: 422
        parse_render_options(
            {"theme": str(cli.cwd / "bad.toml")}, trust=Trust.OPERATOR, settings=load_settings()
        )


def test_merge_keeps_both_and_lets_the_upper_one_win() -> None:
    under = {"EN": {"ignore_case": True, "Knuth": "a", "Ada": "b", "regex": [{"pattern": "x", "say": "y"}]}}
    over = {"en": {"KNUTH": "c", "regex": [{"pattern": "p", "say": "q"}]}, "vi": {"UBND": "d"}}
    merged = merge_lexicons(under, over)
    assert merged["en"]["KNUTH"] == "c" and "Knuth" not in merged["en"] and merged["en"]["Ada"] == "b"
    assert [r["pattern"] for r in merged["en"]["regex"]] == ["p", "x"] and merged["en"]["ignore_case"]
    assert merged["vi"] == {"UBND": "d"}
