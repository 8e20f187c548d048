"""Readers -> `Content`: the structure a document has is kept (headings and their levels, inline
emphasis, numbered and nested lists, tables with alignment, images, code with its language, quotes
with attribution, front matter), and text round-trips through inline Markdown."""

from __future__ import annotations

import pytest

from app.services.documents import (
    CodeBlock,
    Document,
    Heading,
    ImageBlock,
    ListBlock,
    ListItem,
    Meta,
    Paragraph,
    Quote,
    Rule,
    TableBlock,
    escape,
    inline_plain,
    read_document,
    read_markdown,
)

DOC = """---
title: "A talk"
subtitle: On tools
author: Ana
date: 2026-11-29
lang: vi
tags: [a, b]
---
# Welcome to **t2v** <small>beta</small>

Turns _Markdown_ into `video`; see [the docs](https://example.com "Docs") &amp; more.

## Steps

1. Install **it**
2. Run
   - nested *one*
   - nested two

     more of nested two
3. Then:
   ```bash
   t2v render a.md
   ```
4. Look ![a chart](pics/chart.png)

> Be yourself; everyone else is taken.
>
> — Oscar *Wilde*

| Tool | Speed | Note |
|:-----|------:|:----:|
| pip | slow |
| uv | **fast** | new | extra |

***

<div>Raw <b>HTML</b><!-- gone --></div>
"""


def test_markdown_blocks_keep_the_structure() -> None:
    content = read_markdown(DOC, "talk.md")
    assert content.name == "talk.md"
    assert content.meta == Meta(
        title="A talk", subtitle="On tools", author="Ana", date="2026-11-29", language="vi"
    )
    assert content.blocks == (
        Heading("Welcome to **t2v** beta", 1),
        Paragraph("Turns *Markdown* into `video`; see the docs \\& more."),
        Heading("Steps", 2),
        ListBlock(
            (
                ListItem("Install **it**", "1.", 0),
                ListItem("Run", "2.", 0),
                ListItem("nested *one*", "•", 1),
                ListItem("nested two more of nested two", "•", 1),
                ListItem("Then:", "3.", 0),
            )
        ),
        CodeBlock("t2v render a.md", "bash"),
        ListBlock((ListItem("Look", "4.", 0),)),
        ImageBlock("pics/chart.png", "a chart"),
        Quote(("Be yourself; everyone else is taken.",), "Oscar Wilde"),
        TableBlock(
            ("Tool", "Speed", "Note"),
            (("pip", "slow", ""), ("uv", "**fast**", "new")),
            ("left", "right", "center"),
        ),
        Rule(),
        Paragraph("Raw HTML"),
    )


def test_numbers_as_written_and_other_delimiters() -> None:
    (block,) = read_markdown("7) seven\n8) eight\n").blocks
    assert isinstance(block, ListBlock)
    assert [(i.marker, i.numbered) for i in block.items] == [("7)", True), ("8)", True)]
    (bullets,) = read_markdown("- [x] done\n- [ ] todo\n").blocks
    assert isinstance(bullets, ListBlock) and [i.text for i in bullets.items] == ["done", "todo"]


def test_text_after_a_nested_list_continues_its_item_without_a_second_number() -> None:
    (block,) = read_markdown("1. first\n   - inner\n\n   back in first\n2. second\n").blocks
    assert isinstance(block, ListBlock)
    assert [(i.text, i.marker, i.level) for i in block.items] == [
        ("first", "1.", 0),
        ("inner", "•", 1),
        ("back in first", "", 0),
        ("second", "2.", 0),
    ]


def test_lists_inside_quotes_and_quotes_inside_lists() -> None:
    blocks = read_markdown("> 1. a\n> 2. b\n\n- item\n\n  > quoted in item\n").blocks
    assert blocks == (
        Quote(("1. a", "2. b")),
        ListBlock((ListItem("item", "•", 0), ListItem("quoted in item", "", 0))),
    )


def test_code_and_images_inside_a_quote_come_after_it() -> None:
    blocks = read_markdown("> Look:\n>\n> ```\n> x = 1\n> ```\n>\n> ![i](a.png)\n").blocks
    assert blocks == (Quote(("Look:",)), CodeBlock("x = 1"), ImageBlock("a.png", "i"))


def test_front_matter_in_toml_and_without_it() -> None:
    assert read_markdown("+++\ntitle = 'T'\nauthor = \"Bo\"\n+++\nBody\n").meta == Meta(
        title="T", author="Bo"
    )
    assert read_markdown("---\n# Not front matter\n\ntext\n---\n").meta == Meta()


@pytest.mark.parametrize(
    "text",
    [
        "plain words",
        "a*b*c _d_ `e` [f](g) <h> & \\ ~~i~~ **",
        "snake_case_name and 2 * 3 = 6",
        "Tiếng Việt có dấu, 中文, العربية 😀",
    ],
)
def test_escaped_text_reads_back_as_written(text: str) -> None:
    assert inline_plain(escape(text)) == text
    (para,) = read_document(Document(text, "txt")).blocks  # one paragraph: no rule
    assert isinstance(para, Paragraph) and inline_plain(para.text) == text


@pytest.mark.parametrize("code", ["x", "a`b", "``", "`edge`"])
def test_inline_code_round_trips(code: str) -> None:
    (para,) = read_markdown(f"see {'``'} {code} {'``'} now").blocks
    assert isinstance(para, Paragraph) and inline_plain(para.text) == f"see {code} now"
    assert read_markdown(para.text).blocks == (para,)


def test_plain_text_reader_makes_a_paragraph_per_blank_line_run() -> None:
    content = read_document(Document("One\nline.\n\n  \nTwo *stars*.", "txt"))
    assert content.blocks == (Paragraph("One line."), Rule(), Paragraph("Two \\*stars\\*."))
