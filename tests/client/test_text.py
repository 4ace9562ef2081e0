from __future__ import annotations

import pytest
from pycrdt import Doc, Text

from client import byte_offset


@pytest.mark.parametrize("index", range(5))
def test_byte_offset_inserts_at_the_character_asked_for(index: int) -> None:
    content = "aП🎉b"
    doc: Doc[Text] = Doc()
    text = doc.get("t", type=Text)
    text += content
    text.insert(byte_offset(content, index), "x")
    assert str(text) == content[:index] + "x" + content[index:]


def test_byte_offset_outside_the_text_is_refused() -> None:
    with pytest.raises(IndexError):
        byte_offset("аб", 3)
