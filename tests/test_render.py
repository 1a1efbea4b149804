"""Rendering without rich: the plain table equals rich's box.ASCII drawing; encodings; control characters."""

from __future__ import annotations

import io

import pytest

from cnncalc.cli import textout

CASES = [
    (["#", "Layer", "Params"], [["1", "conv1", "1,792"], ["12", "a_much_longer_name", "–"]], [True, False, True]),
    (["Name", "Input"], [["vgg16", "224×224×3"]], [False, False]),
    (["#", "Layer"], [["1", "日本語の層"], ["2", "é"]], [True, False]),  # wide and combined characters
    (["A"], [], [False]),
]


def _rich_ascii(header: list[str], rows: list[list[str]], right: list[bool]) -> list[str]:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(box=box.ASCII)
    for name, is_right in zip(header, right):
        table.add_column(name, justify="right" if is_right else "left")
    for row in rows:
        table.add_row(*row)
    out = io.StringIO()
    Console(file=out, width=400, no_color=True, highlight=False, emoji=False, color_system=None).print(table)
    return out.getvalue().splitlines()


@pytest.mark.parametrize("header, rows, right", CASES)
def test_plain_table_is_riches_ascii_table(header: list[str], rows: list[list[str]], right: list[bool]) -> None:
    assert textout.ascii_table(header, rows, right) == _rich_ascii(header, rows, right)


@pytest.mark.parametrize("text, expected", [
    ("224×224×3 → 1000", "224×224×3 -> 1000"),  # cp1252 has × and ·, not → ≈ ⌊ −
    ("⌊(224 − 3)/2⌋ + 1", "floor((224 - 3)/2) + 1"),
    ("inference ≈ 1 MiB · 2", "inference ~ 1 MiB · 2"),
    ("ünïcode ☃", "ünïcode ?"),  # cp1252 has ü and ï, not the snowman
])
def test_unencodable_characters_get_ascii_spellings(text: str, expected: str) -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="cp1252")
    textout.degrade_unencodable(stream)
    stream.write(text)
    stream.flush()
    assert raw.getvalue().decode("cp1252") == expected


def test_utf8_streams_are_left_alone() -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8")
    textout.degrade_unencodable(stream)
    assert stream.errors == "strict"


@pytest.mark.parametrize("text, expected", [
    ("plain name", "plain name"),
    ("evil\x1b[31m", "evil\\x1b[31m"),
    ("bell\x07 tab\t nl\n", "bell\\x07 tab\\x09 nl\\x0a"),
    ("c1\x9b", "c1\\u009b"),
    ("名前", "名前"),
])
def test_control_characters_are_shown_not_sent(text: str, expected: str) -> None:
    assert textout.neutral(text) == expected


@pytest.mark.parametrize("text, width", [("abc", 3), ("224×224", 7), ("日本", 4), ("é", 1)])
def test_cell_width(text: str, width: int) -> None:
    assert textout.cell_width(text) == width


@pytest.mark.parametrize("terminal, delay, drawn", [(True, 0.0, True), (True, 60.0, False), (False, 0.0, False)])
def test_progress_shows_only_on_a_terminal_after_the_delay(terminal: bool, delay: float, drawn: bool,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(textout, "is_terminal", lambda stream=None: terminal)
    progress = textout.Progress("scanning input sizes", 993, delay=delay)
    progress.update(10)
    progress.done()
    err = capsys.readouterr().err
    assert (err == "\rscanning input sizes: 10/993\r\x1b[K") == drawn
    assert drawn or err == ""
