"""Compiled word lists, built once per process (about half a second): every inflected form of
the insult lemmas (pymorphy3), the set of real top-level domains (tldextract's bundled public
suffix list, no network), prefix stems of mat roots."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from services.moderation.domain import lexicon as lx
from services.moderation.domain.lexicon import BAIT_STEMS, REPORTING_STEMS

FILE_EXTENSION_TLDS = {"zip", "mov", "py", "exe", "apk", "rar"}


@dataclass(frozen=True)
class Resources:
    # One automaton over every stem lexicon: value = tuple of (tag, stem) ending at that key.
    stem_automaton: Any  # an ahocorasick.Automaton (no type stubs)
    phrase_index: dict[str, list[tuple[str, tuple[str, ...]]]]  # first token -> [(tag, phrase tokens)]
    insult_forms: frozenset[str]
    directed_forms: frozenset[str]
    mat_stems: frozenset[str]
    mat_stem_lengths: tuple[int, ...]
    tlds: frozenset[str]
    messengers: frozenset[str]
    pay_words: frozenset[str]
    harm_forms: frozenset[str]


def _lexeme_forms(lemmas: list[str]) -> set[str]:

    morph = _morph()
    forms: set[str] = set()
    for lemma in lemmas:
        forms.add(lemma)
        for parse in morph.parse(lemma)[:3]:
            if parse.normal_form == lemma or parse.word == lemma:
                forms.update(f.word.replace("ё", "е") for f in parse.lexeme)
    return forms


def _first_person_futures(verbs: list[str]) -> set[str]:
    """"сверну", "свернём" for "свернуть": the forms a threat is made in."""
    morph = _morph()
    forms: set[str] = set()
    for verb in verbs:
        for parse in morph.parse(verb)[:2]:
            if parse.tag.POS != "INFN":
                continue
            for form in parse.lexeme:
                if "1per" in form.tag and ("futr" in form.tag or "pres" in form.tag):
                    forms.add(form.word.replace("ё", "е"))
    return forms


@functools.lru_cache(maxsize=1)
def _morph():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


TOKEN = re.compile(r"[0-9a-zа-яіѕј_@]+")


def _phrase_index(phrases: list[str]) -> dict[str, list[tuple[str, ...]]]:
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        tokens = tuple(TOKEN.findall(phrase.lower().replace("ё", "е")))
        if tokens:
            index.setdefault(tokens[0], []).append(tokens)
    for entries in index.values():
        entries.sort(key=len, reverse=True)
    return index


def _mat_stems() -> set[str]:
    stems = set()
    for root in lx.MAT_ROOTS:
        allowed = lx.MAT_ROOT_PREFIX_LIMITS.get(root)
        for prefix in lx.MAT_PREFIXES:
            # a hard sign before е (отъеб-, подъеб-) never makes an ordinary word
            hard_sign = prefix.endswith("ъ") and root.startswith("е")
            if allowed is not None and prefix not in allowed and not hard_sign:
                continue
            stems.add(prefix + root)
            if root.startswith("е"):
                stems.add(prefix + "ё" + root[1:])
    return stems


# long-function: one table of tagged stems and phrases; splitting it would only scatter the lexicon.
@functools.lru_cache(maxsize=1)
def build() -> Resources:
    import tldextract

    extractor = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    tlds = {suffix.rsplit(".", 1)[-1] for suffix in extractor.tlds} - FILE_EXTENSION_TLDS
    mat = _mat_stems()
    insults = _lexeme_forms(lx.INSULT_LEMMAS)
    directed = _lexeme_forms(lx.INSULT_WORDS_DIRECTED)
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for tag, stems in (("mat", mat), ("invite", set(lx.INVITE_STEMS)), ("pd_request", set(lx.PD_REQUEST_STEMS)),
                       ("lawful", set(lx.LAWFUL_STEMS)),
                       ("rival", {"конкурент"}), ("other", {"соседн", "друг", "чуж"}), ("vulgar", set(lx.VULGAR_STEMS)),
                       ("reward", {"подар", "кэшб", "кешб", "бонус", "верн", "компенс", "скидк", "промокод", "деньг", "бесплатн", "балл"}),
                       ("review", {"отзыв", "оценк", "звезд", "звёзд"}),
                       ("report", set(REPORTING_STEMS)),
                       ("come", {"приезж", "заезж", "подъезж", "приход", "заход"}),
                       ("call", {"набер", "звони", "позвони", "звякн", "брякн", "перезвон"}),
                       ("third_party", {"курьер", "поддержк", "оператор", "пвз", "маркетплейс", "площадк", "чек"}),
                       ("refund", {"верн", "возвр", "компенс"}),
                       ("card", {"карт", "card", "visa", "виза", "мир", "mastercard"}),
                       ("pay_stem", {"оплат", "доплат", "предоплат", "пошлин"}),
                       ("link_word", {"ссылк"}),
                       ("bait", set(BAIT_STEMS)),
                       ("pd_stem", {"госуслуг", "паспорт"}),
                       ("sell", {"прода", "отдам", "отдади"}),
                       ("judgement", {"беспредел", "обдира", "обира", "сдирают", "жуль", "ворье", "шпан", "рабств", "паразит", "кровопий",
                                      "грабит", "грабеж", "душит", "фальшив", "сборищ", "некомпетентн", "бездар", "жулик", "мошенн", "ворюг",
                                      "кидал", "лохотрон", "помойк", "шараш", "обманщ", "шарлатан",
                                      "контор", "ширпотреб", "подделк", "паленк", "фейков"})):
        for stem in stems:
            existing = automaton.get(stem, ())
            automaton.add_word(stem, (*existing, (tag, stem)))
    automaton.make_automaton()
    phrase_tags = {
        "lure": lx.LURE_PHRASES, "threat": lx.THREAT_PHRASES, "spam": lx.SPAM_PHRASES, "pay_target": lx.PAY_TARGETS,
        "pd_noun": lx.PD_NOUNS, "phishing": lx.PHISHING_PHRASES, "entity": lx.MARKETPLACE_ENTITIES,
        "judgement": lx.NEGATIVE_JUDGEMENTS, "number_context": lx.NUMBER_CONTEXT,
        "extortion_condition": lx.EXTORTION_CONDITIONS, "extortion_harm": lx.EXTORTION_HARMS, "platform": lx.OTHER_PLATFORMS,
        "insult_phrase": lx.INSULT_PHRASES,
        "vulgar_phrase": lx.VULGAR_PHRASES,
        "messenger_phrase": lx.MESSENGER_PHRASES,
        "directed_insult_phrase": lx.DIRECTED_INSULT_PHRASES,
        "platform_payment": lx.PLATFORM_PAYMENT,
    }
    combined: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for tag, phrases in phrase_tags.items():
        for first, entries in _phrase_index(phrases).items():
            combined.setdefault(first, []).extend((tag, e) for e in entries)
    return Resources(
        stem_automaton=automaton,
        phrase_index=combined,
        insult_forms=frozenset(insults),
        directed_forms=frozenset(directed - insults),
        mat_stems=frozenset(mat),
        mat_stem_lengths=tuple(sorted({len(s) for s in mat})),
        tlds=frozenset(tlds),
        messengers=frozenset(m for m in lx.MESSENGERS if " " not in m),
        pay_words=frozenset(lx.PAY_WORDS),
        harm_forms=frozenset(_first_person_futures(lx.HARM_VERBS)),
    )
