"""Spec inline markup -> reportlab paragraph markup."""

from __future__ import annotations

import pytest

from common.markup import to_paragraph, to_plain


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("**x**^{2} < 5 & H_{2}O", "<b>x</b><super>2</super> &lt; 5 &amp; H<sub>2</sub>O"),
        ("слово *курсивом* и **жирным**", "слово <i>курсивом</i> и <b>жирным</b>"),
        ("**жирный *и курсив* вместе**", "<b>жирный <i>и курсив</i> вместе</b>"),
        ("2*3*4 и a * b", "2*3*4 и a * b"),  # arithmetic stars are not italics
        ("**не закрыто", "**не закрыто"),
        ("<b>не тег</b>", "&lt;b&gt;не тег&lt;/b&gt;"),
        ("строка 1\nстрока 2", "строка 1<br/>строка 2"),
    ],
)
def test_to_paragraph(source: str, expected: str) -> None:
    assert to_paragraph(source) == expected


def test_to_plain_drops_markup() -> None:
    assert to_plain("**x**^{2} + *y* + H_{2}O") == "x^2 + y + H2O"
