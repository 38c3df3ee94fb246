"""Normalisation that keeps a map back to the original text.

Two views of a message:
- the character view: NFKC (but "№" kept), lower case, ё -> е, invisible and control characters
  removed. For most messages this is a 1:1 mapping computed in C (fast path);
- the de-obfuscated view, built only when the text looks obfuscated: Latin/Cyrillic look-alikes
  and leetspeak resolved inside mixed-script tokens, separators between single characters
  collapsed ("т е л е г р а м", "8-9-1-2"), letter floods squeezed ("ваааатсап"), and Russian
  number words turned into digits ("девятьсот двенадцать" -> 912).
Every character of a view carries the [start, end) of the original characters it came from.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from services.moderation.domain.lexicon import NUMBER_WORDS

_INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d"
    "\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\u206a\u206b\u206c\u206d\u206e\u206f\u3164\ufe00\ufe01\ufe02"
    "\ufe03\ufe04\ufe05\ufe06\ufe07\ufe08\ufe09\ufe0a\ufe0b\ufe0c\ufe0d\ufe0e\ufe0f\ufeff\uffa0"
)
_NEEDS_SLOW_CHAR_PATH = re.compile("[" + _INVISIBLE + r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u0130\u1e9e\U000e0000-\U000e007f]")
_LOWER_1TO1 = str.maketrans({"ё": "е", "\r": "\n", "\t": " "})

# Latin letters that look like Cyrillic ones, and back.
LATIN_TO_CYR = {"a": "а", "b": "в", "c": "с", "e": "е", "h": "н", "k": "к", "m": "м", "o": "о", "p": "р", "t": "т",
                "x": "х", "y": "у", "u": "и", "n": "п", "r": "г", "i": "і", "j": "й"}
CYR_TO_LAT = {"а": "a", "в": "b", "с": "c", "е": "e", "н": "h", "к": "k", "м": "m", "о": "o", "р": "p", "т": "t",
              "х": "x", "у": "y", "і": "i", "ѕ": "s", "ј": "j"}
LEET_TO_CYR = {"0": "о", "1": "и", "3": "з", "4": "ч", "6": "б", "@": "а", "$": "s", "9": "д"}
LEET_TO_LAT = {"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
DIGIT_LOOKALIKES = {"o": "0", "о": "0", "з": "3", "l": "1", "i": "1", "|": "1", "б": "6", "ч": "4", "s": "5"}

_CYR = re.compile(r"[а-яіѕј]")
_LAT = re.compile(r"[a-z]")
_UNITS = {"шт", "кг", "гр", "г", "мм", "см", "м", "мл", "л", "вт", "ач", "мач", "mah", "гб", "тб", "gb", "tb", "мб", "mb", "гц", "кв",
          "р", "руб", "к", "xl", "xs", "xxl", "s", "m", "l", "d", "p", "th", "st", "nd", "rd", "х", "x", "й", "я", "е", "го", "ти",
          "ий", "ой", "ая", "ое", "ые", "ых", "ом", "ми", "ю", "дн", "ч", "мин", "сек", "км", "т", "ст", "pro", "max", "plus"}
_UNIT_TOKEN = re.compile(r"^\d+([a-zа-я]{1,4})$")
_PLAIN_TOKEN = re.compile(r"^[a-zа-я]{1,4}\d+$|^\d+$|^[a-z0-9_]+$")
_SINGLE_RUN = re.compile(r"(?<![0-9a-zа-я])(?:[0-9a-zа-я][\s.\-_*/|,:;+~]{1,3}){3,}[0-9a-zа-я](?![0-9a-zа-я])")
_FLOOD = re.compile(r"([a-zа-я])\1{2,}")
_NUMBER_WORD = re.compile(r"(?<![а-я])(" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")(?![а-я])")
_SPOKEN_DIGIT = (
    r"(?:ноль|нуль|один|одна|два|две|три|четыре|пять|шесть|семь|восемь|девять|десять|двадцать|тридцать|сорок|пятьдесят|"
    r"шестьдесят|семьдесят|восемьдесят|девяносто|сто|двести|триста|четыреста|пятьсот|шестьсот|семьсот|восемьсот|"
    r"девятьсот|одиннадцать|двенадцать|тринадцать|четырнадцать|пятнадцать|шестнадцать|семнадцать|восемнадцать|"
    r"девятнадцать)"
)
_MIXED_SCRIPT = re.compile(r"[a-z][а-я]|[а-я][a-z]")
_LEET_CHARS = re.compile(r"[0@3$*61]")
_LEET = re.compile(r"[а-я][0@3$*1][а-я]|(?<![0-9a-zа-я])[6@][а-я]{3}")
_FLOOD3 = re.compile(r"(?<![оw])([a-vyzа-нп-я])\1\1")  # letter floods (not "ООО", "www")
_SINGLES = re.compile(r"(?<![0-9a-zа-я])[0-9a-zа-я][\s.\-_*/|]{1,3}[0-9a-zа-я][\s.\-_*/|]{1,3}[0-9a-zа-я][\s.\-_*/|]{1,3}[0-9a-zа-я](?![0-9a-zа-я])")
_DIGIT_LETTERS = re.compile(r"\d[a-wyzа-фц-я]\d|\d[\s\-]{1,2}[зоoбlчi]{2,4}[\s\-]{1,2}\d|\d[зоoбlчi]{1,3}[\s\-]{1,2}\d"
                            r"|\d[\s\-]{1,2}[зоoбlчi]{2,4}[\s\-]")  # digits with letters inside (not 30х20)
_ANY_DIGIT = re.compile(r"\d")
_DIGITS_AROUND_WORD = re.compile(r"\d[\s\-]+[а-я]{3,12}[\s\-]+\d")


@dataclass(frozen=True)
class View:
    text: str
    starts: tuple[int, ...] | None  # None: the identity map (fast path)
    ends: tuple[int, ...] | None
    original_length: int

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        if self.starts is None:
            return start, end
        if start >= len(self.starts):
            return self.original_length, self.original_length
        if end <= start:
            return self.starts[start], self.starts[start]
        assert self.ends is not None  # starts and ends are set together
        return self.starts[start], self.ends[end - 1]


def character_view(text: str) -> View:
    lowered = text.lower()
    if len(lowered) == len(text) and not _NEEDS_SLOW_CHAR_PATH.search(text):
        if unicodedata.is_normalized("NFKC", lowered):
            return View(lowered.translate(_LOWER_1TO1), None, None, len(text))
        # most compatibility characters map one to one (fullwidth, №): keep the identity map then
        normalized = unicodedata.normalize("NFKC", lowered.replace("№", "\ue000")).replace("\ue000", "№")
        if len(normalized) == len(text):
            return View(normalized.translate(_LOWER_1TO1), None, None, len(text))
    out: list[str] = []
    starts: list[int] = []
    for index, char in enumerate(text):
        if char in _INVISIBLE:
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Cs", "Co", "Cn") and char not in "\n\t\r":
            continue
        pieces = char if char == "№" else unicodedata.normalize("NFKC", char).casefold()
        for piece in pieces:
            out.append(piece)
            starts.append(index)
    joined = "".join(out).translate(_LOWER_1TO1)
    return View(joined, tuple(starts), tuple(s + 1 for s in starts), len(text))


_TRANSLIT_HINT = re.compile(r"(?<![a-z])[a-z]*(?:sh|zh|ch|kh|ya|yu|yat|ite|tse|ets|ogo|ego|aya|oy|iy|dec|zd|bly|hu[iy])[a-z]*(?![a-z])")


_SPOKEN_PAIR = re.compile(r"(?<![а-я])" + _SPOKEN_DIGIT + r"[\s,.\-]+" + _SPOKEN_DIGIT + r"(?![а-я])")


def looks_obfuscated(text: str) -> bool:
    """Cheap checks first: most messages have no Latin letters, no leet characters, no digits."""
    has_cyr = _CYR.search(text) is not None
    if not has_cyr:
        return len(_TRANSLIT_HINT.findall(text)) >= 1
    if _LAT.search(text) and _MIXED_SCRIPT.search(text):
        return True
    if _LEET_CHARS.search(text) and _LEET.search(text):
        return True
    if _FLOOD3.search(text) or _SINGLES.search(text):
        return True
    if _ANY_DIGIT.search(text) and _DIGIT_LETTERS.search(text):
        return True
    # spoken digits: the pair pattern is costly, so count number words first
    spoken = count_number_words(text)
    if spoken >= 2 and _SPOKEN_PAIR.search(text) is not None:
        return True
    # one spoken number between digit groups: "8 912 триста 45 67"
    return spoken >= 1 and _ANY_DIGIT.search(text) is not None and _DIGITS_AROUND_WORD.search(text) is not None


def _number_word_automaton():
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for word in NUMBER_WORDS:
        automaton.add_word(word, len(word))
    automaton.make_automaton()
    return automaton


_NUMBER_AUTOMATON = None


def count_number_words(text: str) -> int:
    """Russian number words standing as whole words, in one C pass."""
    global _NUMBER_AUTOMATON
    if _NUMBER_AUTOMATON is None:
        _NUMBER_AUTOMATON = _number_word_automaton()
    count, n = 0, len(text)
    for end, length in _NUMBER_AUTOMATON.iter(text):
        start = end - length + 1
        if (start == 0 or not text[start - 1].isalpha()) and (end + 1 == n or not text[end + 1].isalpha()):
            count += 1
    return count


Map = tuple[list[int], list[int]] | None  # (starts, ends) into the previous text; None = identity


def _apply(text: str, pieces: list[tuple[int, int, str]]) -> tuple[str, Map]:
    """Replaces text[s:e] by r for each (s, e, r) (sorted, disjoint); every output character of a
    replacement stands for the whole [s, e)."""
    if not pieces:
        return text, None
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    cursor = 0
    for s, e, r in pieces:
        if s > cursor:
            out.append(text[cursor:s])
            starts.extend(range(cursor, s))
            ends.extend(range(cursor + 1, s + 1))
        out.append(r)
        starts.extend([s] * len(r))
        ends.extend([e] * len(r))
        cursor = e
    out.append(text[cursor:])
    starts.extend(range(cursor, len(text)))
    ends.extend(range(cursor + 1, len(text) + 1))
    return "".join(out), (starts, ends)


def _chain(first: Map, second: Map) -> Map:
    if first is None:
        return second
    if second is None:
        return first
    fs, fe = first
    return [fs[s] for s in second[0]], [fe[e - 1] for e in second[1]]


def _compose(view: View, mapping: Map, text: str) -> View:
    if mapping is None:
        return View(text, view.starts, view.ends, view.original_length)
    starts, ends = mapping
    if view.starts is None:
        return View(text, tuple(starts), tuple(ends), view.original_length)
    vs, ve = view.starts, view.ends
    assert ve is not None  # starts and ends are set together
    return View(text, tuple(vs[x] for x in starts), tuple(ve[x - 1] for x in ends), view.original_length)


def _resolve_token(token: str) -> str:
    """Look-alikes and leetspeak inside one token; the same length out as in."""
    cyr = len(_CYR.findall(token))
    lat = len(_LAT.findall(token))
    digits = sum(c.isdigit() for c in token)
    letters = cyr + lat
    if digits >= 2 and 1 <= letters <= 2 and all(c.isdigit() or c in DIGIT_LOOKALIKES for c in token):
        # a number with a letter or two that look like digits: "9I2", "8З0"
        return "".join(DIGIT_LOOKALIKES.get(c, c) for c in token)
    unit = _UNIT_TOKEN.match(token)
    if (unit and unit.group(1) in _UNITS) or (_PLAIN_TOKEN.match(token) and not (cyr and lat)):
        return token
    if cyr and cyr >= lat:
        table, leet = LATIN_TO_CYR, LEET_TO_CYR
    elif lat and lat > cyr:
        table, leet = CYR_TO_LAT, (LEET_TO_LAT if cyr else {"$": "s"})
    else:
        return token
    out = []
    for i, c in enumerate(token):
        if c in table:
            out.append(table[c])
        elif c in leet and (
            (0 < i < len(token) - 1 and token[i - 1].isalpha() and token[i + 1].isalpha())
            or (i == 0 and c.isdigit() and len(token) > 2 and token[1:3].isalpha())
            or (i == len(token) - 1 and i > 1 and token[i - 2:i].isalpha() and c != "@")
        ):
            out.append(leet[c])
        else:
            out.append(c)
    return "".join(out)


def _spoken_numbers(words: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Groups consecutive number words into numbers: hundreds + tens + units, a new group
    whenever a word cannot extend the current one ("восемь девятьсот" -> 8, 900)."""
    groups: list[tuple[str, int, int]] = []
    value, place, start, end = None, 1000, 0, 0
    for word, s, e in words:
        number = NUMBER_WORDS[word]
        magnitude = 100 if number >= 100 else 10 if number >= 10 else 1
        fits = value is not None and magnitude < place and not (10 < number < 20 and place <= 10)
        if fits and magnitude == 10 and value is not None and value % 100 != 0:
            fits = False
        if not fits:
            if value is not None:
                groups.append((str(value), start, end))
            value, start = 0, s
        assert value is not None  # started above when the word did not fit
        value += number
        place = 10 if 10 <= number < 20 else magnitude
        if number < 10 and number != 0:
            place = 1
        if number == 0:
            place = 0
        end = e
    if value is not None:
        groups.append((str(value), start, end))
    return groups


_OBFUSCATED_TOKEN = re.compile(
    r"[0-9a-zа-яіѕј@$|*]*(?:[a-z][а-я]|[а-я][a-z]|[а-я][0-9@$|*]|[0-9@$|*][а-я]|\d[a-zа-я]\d)[0-9a-zа-яіѕј@$|*]*"
)
_GLUED_LOOKALIKES = re.compile(r"(?<=\d)[зоoбlчi]{1,3}(?=[\s\-]{1,2}\d)")
_LOOKALIKE_DIGITS = re.compile(r"(?<=\d)((?:[\s\-]{1,2}[зоoбlчi]{1,4})+)(?=[\s\-]{1,2}\d)")


_TRANSLIT = [("shch", "щ"), ("sch", "щ"), ("sh", "ш"), ("ch", "ч"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ya", "я"),
             ("yu", "ю"), ("yo", "е"), ("ye", "е"), ("a", "а"), ("b", "б"), ("v", "в"), ("g", "г"), ("d", "д"), ("e", "е"),
             ("z", "з"), ("i", "и"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"), ("r", "р"),
             ("s", "с"), ("t", "т"), ("u", "у"), ("f", "ф"), ("h", "х"), ("c", "ц"), ("w", "в"), ("x", "кс"), ("j", "й"),
             ("q", "к"), ("y", "ы")]
_KEEP_LATIN = {"whatsapp", "whatsap", "telegram", "viber", "instagram", "insta", "inst", "vk", "tg", "wa", "max", "zoom",
               "skype", "discord", "facebook", "email", "mail", "gmail", "yandex", "ok", "ru", "com"}
_LATIN_WORD = re.compile(r"(?<![a-z0-9@._/])[a-z]{2,}(?![a-z0-9@._/])")


def _translit(word: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(word):
        for latin, cyr in _TRANSLIT:
            if word.startswith(latin, i):
                if latin == "y" and out and out[-1] in "аеиоуыэюя":
                    cyr = "й"  # "huy", "moy"
                out.append(cyr)
                i += len(latin)
                break
        else:
            out.append(word[i])
            i += 1
    return "".join(out)


def deobfuscated_view(view: View) -> View:
    text = view.text
    if not _CYR.search(text):
        # Russian written in Latin letters ("pishite v telegram", "blyat"): read it in Cyrillic too
        pieces = [(m.start(), m.end(), _translit(m.group())) for m in _LATIN_WORD.finditer(text) if m.group() not in _KEEP_LATIN]
        translit_text, translit_map = _apply(text, pieces)
        return deobfuscated_view(_compose(view, translit_map, translit_text)) if pieces and _CYR.search(translit_text) else view
    # 1. separators between single characters: "т е л е г р а м", "8-9-1-2"
    # a wider gap inside the run is a word boundary: "н а п и ш и т е  в  в а ц а п" -> "напишите в вацап"
    pieces = [(m.start(), m.end(), re.sub(r"[^0-9a-zа-я ]", "", re.sub(r"\s{2,}", " ", re.sub(r"(?<=\S)\s(?=\S)", "", m.group()))))
              for m in _SINGLE_RUN.finditer(text)]
    text, mapping = _apply(text, pieces)
    # 2. letters standing for digits next to digits ("9Об 123", "915 ЗЗЗ 44"), then look-alikes and
    #    leetspeak inside mixed tokens (all the same length: no new map)
    chars = None
    for m in _GLUED_LOOKALIKES.finditer(text):
        chars = chars or list(text)
        chars[m.start():m.end()] = [DIGIT_LOOKALIKES[c] for c in m.group()]
    for m in _LOOKALIKE_DIGITS.finditer(text):  # "915 ЗЗЗ 44", "912-ЗЗЗ-ОО-11"
        chars = chars or list(text)
        chars[m.start(1):m.end(1)] = [DIGIT_LOOKALIKES.get(c, c) for c in m.group(1)]
    if chars is not None:
        text = "".join(chars)
        chars = None
    for m in _OBFUSCATED_TOKEN.finditer(text):
        fixed = _resolve_token(m.group())
        if fixed != m.group():
            chars = chars or list(text)
            chars[m.start():m.end()] = fixed
    if chars is not None:
        text = "".join(chars)
    # 3. letter floods: "ваааатсап" -> "ватсап"
    pieces = [(m.start(), m.end(), m.group(1)) for m in _FLOOD.finditer(text)]
    if pieces:
        text, flood_map = _apply(text, pieces)
        mapping = _chain(mapping, flood_map)
    # 4. number words -> digits
    words = [(m.group(1), m.start(), m.end()) for m in _NUMBER_WORD.finditer(text)]
    beside_digits = any(re.search(r"\d[\s\-]*$", text[max(0, s - 3):s]) and re.match(r"[\s\-]*\d", text[e:e + 3])
                        for _, s, e in words)
    if len(words) >= 2 or beside_digits:
        runs: list[list[tuple[str, int, int]]] = []
        for word in words:
            if runs and _GAP.fullmatch(text, runs[-1][-1][2], word[1]):
                runs[-1].append(word)
            else:
                runs.append([word])
        pieces = []
        for run in runs:
            if len(run) >= 2 or any(NUMBER_WORDS[w] >= 20 for w, _, _ in run):
                pieces.extend((s, e, digits) for digits, s, e in _spoken_numbers(run))
        if pieces:
            text, number_map = _apply(text, pieces)
            mapping = _chain(mapping, number_map)
    return _compose(view, mapping, text)


_GAP = re.compile(r"[\s,.\-]*")
