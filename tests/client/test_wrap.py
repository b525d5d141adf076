"""Word wrapping of streamed text: words move to the next line instead of breaking."""

from __future__ import annotations

from infer.client.wrap import WordWrap


def lines(pieces: list[str], width: int) -> list[str]:
    """The wrapped lines, trailing spaces dropped (they were written before the break)."""
    wrap = WordWrap(width)
    return [line.rstrip(" ") for line in "".join(wrap.feed(p) for p in pieces).split("\n")]


def test_a_word_that_would_cross_the_edge_starts_the_next_line() -> None:
    assert lines(["To make", " an", " omelette,", " whisk", " eggs"], 16) == [
        "To make an",
        "omelette, whisk",
        "eggs",
    ]


def test_a_word_arriving_in_pieces_is_not_split() -> None:
    assert lines(["Crack the ", "ome", "lette"], 12) == ["Crack the", "omelette"]


def test_newlines_in_the_text_reset_the_column() -> None:
    assert lines(["1. Whisk\n2. Heat the pan"], 12) == ["1. Whisk", "2. Heat the", "pan"]


def test_wide_characters_count_as_two_cells() -> None:
    assert lines(["卵 卵 卵 卵 卵"], 9) == ["卵 卵 卵", "卵 卵"]


TEXT = "How to make an omelette: crack three eggs, whisk, cook slowly in butter. " * 5


def test_word_sized_events_never_cross_the_edge() -> None:
    # TextIteratorStreamer emits text up to a word boundary, so events are whole words.
    words = [" " + word for word in TEXT.split()]
    wrap = WordWrap(20)
    wrapped = "".join(wrap.feed(word) for word in words)
    assert max(len(line.rstrip(" ")) for line in wrapped.split("\n")) <= 20
    assert wrapped.split() == TEXT.split()


def test_nothing_is_lost_or_added_but_line_breaks() -> None:
    wrap = WordWrap(20)
    wrapped = "".join(wrap.feed(TEXT[i : i + 3]) for i in range(0, len(TEXT), 3))
    assert wrapped.split() == TEXT.split()
    assert wrapped.replace("\n", "").replace(" ", "") == TEXT.replace(" ", "")
