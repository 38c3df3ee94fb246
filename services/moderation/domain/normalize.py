"""Text normalisation that keeps a map back to the original text.

Every character of the normalised text knows the index of the original character it came
from, so detectors report spans in the original text.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# Invisible characters people insert to break up words and numbers.
_INVISIBLE = {"\u00ad", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff", "\u180e"}

# Latin look-alikes of Cyrillic letters (used inside words that are mostly Cyrillic).
LATIN_TO_CYRILLIC = str.maketrans({
    "a": "а", "b": "в", "c": "с", "e": "е", "h": "н", "k": "к", "m": "м", "o": "о",
    "p": "р", "t": "т", "x": "х", "y": "у", "u": "и",
})


@dataclass(frozen=True)
class NormalizedText:
    text: str
    origin: tuple[int, ...]  # origin[i] = index in the original of text[i]
    original_length: int

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Maps a [start, end) span of the normalised text to the original."""
        if start >= len(self.origin):
            return self.original_length, self.original_length
        original_start = self.origin[start]
        original_end = self.origin[end - 1] + 1 if end > start else original_start
        return original_start, original_end


def normalize(text: str) -> NormalizedText:
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if char in _INVISIBLE or unicodedata.category(char) in ("Cc", "Cf") and char not in "\n\t":
            continue
        if char == "№":  # NFKC would turn it into "No"
            pieces = "№"
        else:
            pieces = unicodedata.normalize("NFKC", char).casefold()
        for piece in pieces:
            if piece == "ё":
                piece = "е"
            out.append(piece)
            origin.append(index)
    return NormalizedText("".join(out), tuple(origin), len(text))
