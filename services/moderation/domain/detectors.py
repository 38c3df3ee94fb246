"""Detectors: each reads an Analysis of one view and returns findings whose spans are in the
original text. Keyword spotting works on tokens (dictionary look-ups of words, prefix stems and
phrases), so the cost grows with the message, not with the size of the lexicons."""
from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

import phonenumbers
from stdnum import luhn
from stdnum.ru import inn

from services.moderation.domain import lexicon as lx
from services.moderation.domain.model import Category, Finding, SenderRole, Span
from services.moderation.domain.normalize import View, count_number_words
from services.moderation.domain.policy import Policy
from services.moderation.domain.resources import TOKEN, Resources

Hit = tuple[int, int]  # token indices [i, j)

_DIGIT = re.compile(r"\d")
_PHONE = re.compile(r"(?<![\d])((?:\+\s*)?\d(?:[\s\-–—().,/_*]{0,4}\d){9,13})(?![\d])")
_CARD = re.compile(r"(?<!\d)\d(?:[ \-]?\d){12,18}(?!\d)")
_SNILS = re.compile(r"(?<!\d)\d{3}[\- ]?\d{3}[\- ]?\d{3}[\- ]{0,2}\d{2}(?!\d)")
_PASSPORT = re.compile(r"(?<!\d)\d{2}\s?\d{2}[\s,]*(?:№|номер|н\.|no\.?)?\s*\d{6}(?!\d)")
_INN = re.compile(r"(?<!\d)(\d{12}|\d{10})(?!\d)")
_EMAIL = re.compile(r"[a-z0-9][a-z0-9._%+\-]*@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']+")
_DOMAIN = re.compile(
    r"(?<![@\w.\-])((?:[a-z0-9а-я](?:[a-z0-9а-я\-]{0,61}[a-z0-9а-я])?\.)+([a-zа-я]{2,24}))(?![a-zа-я0-9\-])(/[^\s]*)?"
)
_SPACED_DOMAIN = re.compile(r"(?<![\w.@])([a-z0-9][a-z0-9\-]{2,})\s+\.\s*"
                            r"(ru|com|net|org|su|info|biz|shop|store|online|site|me|io|pro|by|kz|ua)(?![a-z0-9])")
_DOTTED = re.compile(r"[a-zа-я0-9\-]\.[a-zа-я]{2}|https?:|www")
_MASKED_MAT = re.compile(
    r"(?<![а-яa-z])(?:х[*#]+[йяеюи]|х[уy][*#]+[йяеюи]?|п[*#]+[зс]д|пи[*#]+[дз]|п[*#]+д[*#]*р|бл[*#]+[дт]?ь|бл[*#]+[дт]ь?|б[*#]+я[дт]ь?|"
    r"[её][*#]+[ат]\w*|[её]б[*#]+|с[*#]+к[аи]|су[*#]+[аи]|ху[*#]+|з[*#]+еб\w*|[а-я]*[её][*#]б\w*|м[*#]+дак)[а-я*#]*"
)
_AT_WORDS = {"собака", "собачка", "собаку", "собакой", "собачкой", "at", "эт", "dog", "гав"}
_DOT_WORDS = {"точка", "тчк", "dot", "дот"}
_MAIL_DOMAINS = {
    "mail", "gmail", "yandex", "ya", "rambler", "bk", "list", "inbox", "outlook", "hotmail", "icloud", "yahoo", "protonmail",
    "мейл", "маил", "мэйл", "мыло", "гмейл", "гмайл", "джимейл", "яндекс", "рамблер", "ятуп", "майл", "gmal", "гмаил",
    "гмэйл", "жмайл", "жмейл", "джимэйл", "яндексе", "мейле", "маиле", "мэйле", "рамблере",
}
_MAIL_TLDS = {"ru", "ру", "com", "ком", "net", "нет", "org", "орг", "рф", "ua", "by", "kz", "me", "io", "su"}
_HANDLE_TOKEN = re.compile(r"^@?[a-z][a-z0-9_.]{2,31}$|^@[a-z0-9_]{4,32}$|^id\d{3,}$|^\+?\d{5,}$")
_COMMON_LATIN = {"ok", "and", "the", "sale", "shop", "size", "xl", "xxl", "pro", "max", "mini", "plus", "ultra", "iphone", "samsung",
                 "xiaomi", "apple", "android", "ios", "wifi", "usb", "type", "led", "lcd", "nfc", "bluetooth", "pdf", "jpg", "png",
                 "video", "photo", "foto", "please", "thanks", "thank", "you", "sorry", "hello", "hi", "wildberries", "ozon", "wb"}
_NEGATION_TOKENS = {"не", "ни", "нет", "ничего", "никаких", "никакой", "никакую", "нельзя", "без", "никогда", "запрещено"}
_MENTION_AFTER = re.compile(r"\s*[—–-]\s*(?:это|так называется|название)")
_PERSONAL_SECOND_SUBJECTS = {"одни", "сплошные", "ты", "вы", "ваш", "ваша", "ваши", "ваше", "твой", "твоя", "твои", "продавец", "магазин", "продавцы"}
_DIRECT_PRONOUNS = {"ты", "вы"}
_PERSON_NOUNS = {"продавец", "продавцы", "продавца", "покупатель", "покупательница", "менеджер", "менеджеры", "магазин",
                 "курьер", "курьеры", "оператор", "операторы", "сотрудник", "сотрудники", "баба", "мужик", "женщина", "человек"}


class Analysis:
    """Tokens of one view and cached keyword hits."""

    def __init__(self, view: View, resources: Resources, role: SenderRole, policy: Policy):
        self.view = view
        self.text = view.text
        self.res = resources
        self.role = role
        self.policy = policy
        matches = list(TOKEN.finditer(view.text))
        self.starts = [m.start() for m in matches]
        self.ends = [m.end() for m in matches]
        self.words = [m.group() for m in matches]
        self._phrase_hits: dict[str, list[Hit]] | None = None
        self._stem_hits: dict[str, list[Hit]] | None = None
        self._token_of_start = {start: i for i, start in enumerate(self.starts)}
        self.digit_count = len(_DIGIT.findall(view.text))

    # --- spans ---
    def span(self, i: int, j: int) -> Span:
        return Span(*self.view.to_original(self.starts[i], self.ends[j - 1]))

    def char_span(self, start: int, end: int) -> Span:
        return Span(*self.view.to_original(start, end))

    def token_at(self, char_index: int) -> int:
        return max(0, bisect.bisect_right(self.starts, char_index) - 1)

    # --- hits ---
    def _scan_phrases(self) -> dict[str, list[Hit]]:
        """Every phrase of every lexicon in one pass over the tokens."""
        found: dict[str, list[Hit]] = {}
        words, index = self.words, self.res.phrase_index
        for i in [k for k, w in enumerate(words) if w in index]:
            tags_here: set[str] = set()
            for tag, phrase in index[words[i]]:
                if tag in tags_here:
                    continue
                n = len(phrase)
                if n == 1 or tuple(words[i:i + n]) == phrase:
                    found.setdefault(tag, []).append((i, i + n))
                    tags_here.add(tag)
        return found

    def phrases(self, tag: str) -> list[Hit]:
        if self._phrase_hits is None:
            self._phrase_hits = self._scan_phrases()
        return self._phrase_hits.get(tag, [])

    def _scan_stems(self) -> dict[str, list[Hit]]:
        """Every stem lexicon in one Aho-Corasick pass over the text; a stem counts only at
        the start of a token."""
        found: dict[str, set[int]] = {}
        token_of_start = self._token_of_start
        text = self.text
        for end, entries in self.res.stem_automaton.iter(text):
            for tag, stem in entries:
                start = end - len(stem) + 1
                token = token_of_start.get(start)
                if token is not None:
                    found.setdefault(tag, set()).add(token)
        return {tag: [(i, i + 1) for i in sorted(tokens)] for tag, tokens in found.items()}

    def stem_hits(self, tag: str) -> list[Hit]:
        if self._stem_hits is None:
            self._stem_hits = self._scan_stems()
        return self._stem_hits.get(tag, [])

    def negated(self, i: int, before: int = 2, after: int = 0) -> bool:
        lo, hi = max(0, i - before), min(len(self.words), i + 1 + after)
        return any(self.words[k] in _NEGATION_TOKENS for k in range(lo, hi) if k != i)

    def reported(self) -> bool:
        """The buyer reports what someone else wrote ("продавец предлагал перейти в телеграм")."""
        return self.role is SenderRole.BUYER and (bool(self.stem_hits("report")) or "от вашего имени" in self.text)


def near(a: list[Hit], b: list[Hit], window: int) -> list[tuple[Hit, Hit]]:
    pairs = []
    for x in a:
        for y in b:
            gap = y[0] - x[1] if y[0] >= x[1] else x[0] - y[1]
            if gap <= window and x != y:
                pairs.append((x, y))
    return pairs


def finding(category: Category, rule: str, spans: Iterable[Span]) -> Finding:
    return Finding(category, rule, tuple(sorted(set(spans))))


# --------------------------------------------------------------------------------------------
# numbers: phones, cards, SNILS, INN, passports


def _number_context_before(a: Analysis, start: int) -> bool:
    window = a.text[max(0, start - 40):start]
    if "№" in window[-6:] or "#" in window[-4:]:
        return True
    i = a.token_at(start)
    first = i if a.starts and a.starts[i] < start else i + 0
    lo = max(0, first - 3)
    hi = first + (0 if a.starts and a.starts[first] >= start else 1)
    return any(lo <= i < hi for i, _ in a.phrases("number_context"))


def _unit_after(a: Analysis, end: int) -> bool:
    rest = a.text[end:end + 8].lstrip(" .,")
    token = TOKEN.match(rest)
    return bool(token and token.group() in lx.NUMBER_AFTER_CONTEXT) or rest.startswith(("₽", "%", "р.", "$", "€"))


def _date_like(candidate: str) -> bool:
    return bool(re.search(r"\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b|\b\d{1,2}:\d{2}\b", candidate))


def _valid_phone(digits: str, had_plus: bool) -> bool:
    candidates = []
    if len(digits) == 11 and digits[0] in "78":
        candidates.append("+7" + digits[1:])
    if len(digits) == 10 and digits[0] in "3489":
        candidates.append("+7" + digits)
    if len(digits) >= 11 and (had_plus or digits[:3] in ("375", "380", "998", "996", "374", "992", "993", "994", "995", "371", "372", "370",
                                                         "373", "777")):
        candidates.append("+" + digits)
    for candidate in candidates:
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(candidate)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


_SPELLED_DIGITS = re.compile(r"(?<![а-я])(?:(?:ноль|один|два|три|четыре|пять|шесть|семь|восемь|девять)[\s,.\-]+){3,}"
                             r"(?:ноль|один|два|три|четыре|пять|шесть|семь|восемь|девять)(?![а-я])")


def detect_phones(a: Analysis) -> list[Finding]:
    text = a.text
    spelled = [a.char_span(m.start(), m.end()) for m in _SPELLED_DIGITS.finditer(text)] if count_number_words(text) >= 4 else []
    if spelled:
        return [finding(Category.CONTACT_EXCHANGE, "phone.spelled_digits", spelled)] + _digit_phones(a)
    return _digit_phones(a)


def _digit_phones(a: Analysis) -> list[Finding]:
    if a.digit_count < 10:
        return []
    spans = []
    for match in _PHONE.finditer(a.text):
        raw = match.group(1)
        digits = re.sub(r"\D", "", raw)
        if _date_like(raw):
            continue
        if _number_context_before(a, match.start()) or _unit_after(a, match.end()):
            continue
        if _valid_phone(digits, raw.lstrip().startswith("+")):
            spans.append(a.char_span(match.start(1), match.end(1)))
            continue
        # a phone glued to other digits by a separator ("тел 8 912 345 67 89 12:00"): try 11/10-digit windows
        for size in (11, 10):
            found = False
            for k in range(0, len(digits) - size + 1):
                if _valid_phone(digits[k:k + size], False) and digits[k] in "789":
                    spans.append(a.char_span(match.start(1), match.end(1)))
                    found = True
                    break
            if found:
                break
    return [finding(Category.CONTACT_EXCHANGE, "phone", spans)] if spans else []


def _snils_ok(digits: str) -> bool:
    """SNILS check number (python-stdnum has no SNILS module); numbers up to 001-001-998 carry none."""
    if len(digits) != 11:
        return False
    body, check = digits[:9], int(digits[9:])
    total = sum(int(d) * (9 - i) for i, d in enumerate(body))
    if total > 101:
        total %= 101
    expected = 0 if total in (100, 101) else total
    return expected == check and int(body) > 1001998


def detect_personal_numbers(a: Analysis) -> list[Finding]:  # noqa: C901 - one branch per kind of number (card, SNILS, passport, INN)
    if a.digit_count < 10:
        return []
    spans, rules = [], []
    words = set(a.words)
    card_context = bool(a.stem_hits("card"))
    for match in (_CARD.finditer(a.text) if a.digit_count >= 15 else ()):
        digits = re.sub(r"\D", "", match.group())
        if len(digits) < 15 or digits[0] not in "23456":
            continue
        grouped = re.fullmatch(r"\d{4}([ \-])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?", match.group()) is not None
        if not luhn.is_valid(digits) and not (card_context and (grouped or len(digits) == 16)):
            continue
        if len(digits) == 15 and not digits.startswith(("34", "37")):
            continue  # IMEI (Luhn too) and other 15-digit codes
        if _number_context_before(a, match.start()):
            continue
        spans.append(a.char_span(match.start(), match.end()))
        rules.append("card")
    if "снилс" in words or re.search(r"\d{3}-\d{3}-\d{3}[ -]\d{2}", a.text):
        for match in _SNILS.finditer(a.text):
            if _snils_ok(re.sub(r"\D", "", match.group())):
                spans.append(a.char_span(match.start(), match.end()))
                rules.append("snils")
    if "паспорт" in a.text or "серия" in words:
        for match in _PASSPORT.finditer(a.text):
            spans.append(a.char_span(match.start(), match.end()))
            rules.append("passport")
    if "инн" in words and a.role is SenderRole.BUYER:
        for match in _INN.finditer(a.text):
            if len(match.group()) == 12 and inn.is_valid(match.group()):
                spans.append(a.char_span(match.start(), match.end()))
                rules.append("inn")
    if not spans:
        return []
    return [finding(Category.PERSONAL_DATA, "number." + "+".join(sorted(set(rules))), spans)]


# --------------------------------------------------------------------------------------------
# e-mails, links, handles, messengers


def detect_emails(a: Analysis) -> list[Finding]:
    spans = [a.char_span(m.start(), m.end()) for m in _EMAIL.finditer(a.text)] if "@" in a.text else []
    words = a.words
    for i, word in enumerate(words):
        if word in _AT_WORDS and 0 < i < len(words) - 1:
            local, domain = words[i - 1], words[i + 1]
            if not re.fullmatch(r"[a-z0-9._\-]{2,}", local) and local not in _MAIL_DOMAINS:
                continue
            j = i + 2
            if j < len(words) and words[j] in _DOT_WORDS:
                j += 1
            if (domain in _MAIL_DOMAINS or (j < len(words) and words[j] in _MAIL_TLDS)) and re.fullmatch(r"[a-zа-я0-9\-]{2,}", domain):
                end = j + 1 if j < len(words) and words[j] in _MAIL_TLDS else i + 2
                spans.append(a.span(i - 1, end))
        elif word in _MAIL_DOMAINS and i + 1 < len(words):
            j = i + 1
            if words[j] in _DOT_WORDS:
                j += 1
            handle_before = i > 0 and re.fullmatch(r"[a-z][a-z0-9._\-]{2,}", words[i - 1]) is not None
            if j < len(words) and words[j] in _MAIL_TLDS and (j > i + 1 or handle_before or "." in a.text[a.ends[i]:a.starts[j]]):
                start = i - 1 if i > 0 and re.fullmatch(r"[a-z0-9._\-]{2,}", words[i - 1]) else i
                spans.append(a.span(start, j + 1))
    return [finding(Category.CONTACT_EXCHANGE, "email", spans)] if spans else []


def _host(url: str) -> str:
    host = re.sub(r"^(?:https?://)?(?:www\.)?", "", url).split("/")[0].split("?")[0].split("#")[0]
    return host.strip(".,;:!?)(»\"'").lower()


def _edit_distance_at_most(a: str, b: str, limit: int) -> bool:
    if abs(len(a) - len(b)) > limit:
        return False
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return False
        previous = current
    return previous[-1] <= limit


def _brand_lookalike(host: str, policy: Policy) -> bool:
    labels = re.split(r"[.\-]", host)
    brands = [b for b in policy.brands if b.isascii() and len(b) >= 4]
    short = [b for b in policy.brands if b.isascii() and len(b) < 4]
    if any(b in label.split("-") for b in short for label in host.split(".")[:-1]):
        return True
    squeezed = host.replace("-", "").replace(".", "")
    for brand in brands:
        if brand in squeezed:
            return True
        for label in labels:
            if len(label) >= 4 and _edit_distance_at_most(label, brand, 1 if len(brand) <= 5 else 2):
                return True
    return False


def _is_marketplace(host: str, policy: Policy) -> bool:
    return any(host == d or host.endswith("." + d) for d in policy.marketplace_domains)


def detect_links(a: Analysis) -> list[Finding]:  # noqa: C901 - one branch per kind of link clue
    text = a.text
    if not _DOTTED.search(text) and "точк" not in text and " dot " not in text and " ." not in text:
        return []
    seen: list[tuple[int, int, str]] = []
    for m in _URL.finditer(text):
        seen.append((m.start(), m.end(), _host(m.group())))
    for m in _DOMAIN.finditer(text):
        if any(s <= m.start() < e for s, e, _ in seen):
            continue
        tld = m.group(2)
        first_label = m.group(1).split(".")[0]
        known = _host(m.group(1)) in lx.SOCIAL_HOSTS or _host(m.group(1)) in lx.URL_SHORTENERS
        if tld not in a.res.tlds or (len(first_label) < 2 and not known):
            continue
        if m.start() > 0 and text[m.start() - 1] == "@":
            continue
        host = _host(m.group(1))
        if re.fullmatch(r"[\d.]+", host.rsplit(".", 1)[0]) and tld.isdigit():
            continue
        seen.append((m.start(), m.end(), host))
    # spaced: "shop-ivanov . ru"
    for m in _SPACED_DOMAIN.finditer(text):
        if not any(s <= m.start() < e for s, e, _ in seen):
            seen.append((m.start(), m.end(), m.group(1) + "." + m.group(2)))
    # spelled: "shop-ivanov точка ru"
    words = a.words
    for i in range(len(words) - 2):
        if words[i + 1] in _DOT_WORDS and words[i + 2] in a.res.tlds | {"ру", "ком", "нет"} and len(words[i]) >= 3 and words[i] not in _MAIL_DOMAINS:
            seen.append((a.starts[i], a.ends[i + 2], words[i] + "." + words[i + 2]))
    phishing_context = bool(a.phrases("phishing")) or (a.role is not SenderRole.BUYER and bool(a.stem_hits("bait")))
    # a request to pay next to an outside link is how payment phishing looks
    paying = bool(a.stem_hits("pay_stem")) or any(w in a.res.pay_words for w in a.words)
    contact, phishing, social = [], [], False
    for start, end, host in seen:
        if not host or _is_marketplace(host, a.policy):
            continue
        span = a.char_span(start, end)
        if (host in lx.URL_SHORTENERS or "xn--" in host or _brand_lookalike(host, a.policy) or phishing_context or paying
                or re.fullmatch(r"\d{1,3}(?:\.\d{1,3}){3}", host)):
            phishing.append(span)
        else:
            contact.append(span)
            social = social or any(host == h or host.endswith("." + h) for h in lx.SOCIAL_HOSTS)
    out = []
    if (phishing or contact) and a.stem_hits("pay_stem"):
        out.append(finding(Category.EXTRA_PAYMENT, "payment.link", phishing + contact))
    if phishing:
        out.append(finding(Category.PHISHING_LINK, "link.suspicious", phishing))
    if contact:
        out.append(finding(Category.CONTACT_EXCHANGE, "link.social" if social else "link.outside", contact))
    return out


def detect_handles(a: Analysis) -> list[Finding]:
    spans = []
    if "@" in a.text:
        for m in re.finditer(r"(?<![a-z0-9._%+\-])@([a-z0-9_][a-z0-9_.]{3,31})(?![a-z0-9_@])", a.text):
            last_label = m.group(1).rsplit(".", 1)[-1] if "." in m.group(1) else ""
            if last_label not in a.res.tlds:
                spans.append(a.char_span(m.start(), m.end()))
    messenger_hits = [(i, i + 1) for i, w in enumerate(a.words)
                      if w in a.res.messengers or w in ("ник", "никнейм", "логин", "id", "айди", "юзернейм", "username", "аккаунт")
                      or (w in ("почта", "почту", "email", "мейл", "емейл", "имейл")
                          and i > 0 and a.words[i - 1] in ("моя", "мою", "наша", "мой", "наш"))]
    for i, _ in messenger_hits:
        for k in range(i + 1, min(len(a.words), i + 4)):
            word = a.words[k]
            if word in a.res.messengers or word in ("в", "на", "мой", "наш", "я", "меня", "нас", "есть", "мне", "пишите", "напишите", "там",
                                                       "гугле", "яндексе", "мейле", "маиле", "почте", "gmail", "google"):
                continue
            if _HANDLE_TOKEN.match(word) and word not in _COMMON_LATIN and not word.isdigit() or re.fullmatch(r"id\d{3,}", word):
                spans.append(a.span(i, k + 1))
            break
    return [finding(Category.CONTACT_EXCHANGE, "handle", spans)] if spans else []


# "оставьте ваш номер": leaving one's contact for the other side, asked in the imperative or the
# infinitive ("оставить"), never "оставайтесь" or "осталось".
_LEAVE_CONTACT_VERBS = frozenset({"оставьте", "оставь", "оставите", "оставить", "оставляйте", "оставляй", "оставишь"})
# What a "номер" names when it is not a contact: "оставьте номер заказа".
_NOT_A_CONTACT_NUMBER = frozenset({"заказа", "заказ", "отправления", "посылки", "поставки", "карты", "счета", "артикула",
                                   "обращения", "претензии", "возврата", "трека", "отслеживания", "накладной", "пвз"})
# A "номер" followed by one of these is a contact ("номер телефона", "номер вотсапа"); followed by
# another genitive it names something else ("номер стикера", "номер сборочного задания").
_CONTACT_GENITIVES = frozenset({"телефона", "телефончика", "мобильного", "мобильника", "сотового", "моб", "тел", "для", "связи",
                                "whatsapp", "ватсапа", "вотсапа", "вацапа", "телеграма", "телеграмма", "вайбера", "viber",
                                "мессенджера", "telegram"})
# Words after "номер" that end like a genitive but are not one ("оставьте номер, пожалуйста").
_NOT_GENITIVES = frozenset({"пожалуйста", "я", "мы", "вы", "и", "а", "или", "либо", "тогда", "когда", "сюда", "туда", "сейчас",
                            "сразу", "обязательно", "ниже", "выше", "мне", "нам", "вам", "ему", "ей", "им", "чтобы", "если", "да",
                            "ага", "ли", "бы", "же", "уж", "здесь", "тут", "там", "срочно", "скорее", "быстрее"})
_GENITIVE_ENDINGS = ("а", "я", "ы", "и", "ого", "его", "ой", "ей", "ых", "их", "ов", "ев")
_CONTACT_NOUNS = frozenset({"телефон", "номер", "контакт", "контакты", "почту", "email", "мейл", "емейл", "ник", "тг", "телеграм",
                            "whatsapp", "ватсап", "вотсап", "вайбер", "инст", "инстаграм", "аккаунт", "страницу", "телефончик",
                            "мобильный", "сотовый", "контактный", "контактные", "электронную", "электронку", "имейл", "e"})
# Asking in the imperative for something the other side tells: "подскажите ваш номер телефона".
_TELL_VERBS = frozenset({"подскажите", "подскажи", "назовите", "назови", "продиктуйте", "продиктуй", "скажите", "скажи",
                         "сообщите", "сообщи", "напишите", "напиши", "скиньте", "скинь", "киньте", "кинь", "черкните", "черкни"})
# Handing over: also said of a phone as a thing ("пришлите телефон на диагностику", "оставьте
# телефон на зарядке"), so a bare phone must be asked for as a contact (see _contact_asked_at).
_HAND_OVER_VERBS = frozenset({"оставьте", "оставь", "дайте", "дай", "пришлите", "пришли", "отправьте", "отправь", "укажите", "укажи"})
# Between the verb and the contact asked for: "оставьте, пожалуйста, мне ваш телефон".
_REQUEST_FILLERS = frozenset({"пожалуйста", "мне", "нам", "сюда", "еще", "ваш", "вашу", "ваши", "свой", "свою", "свои", "твой",
                              "твою", "срочно", "плиз", "плз", "please"})
_POSSESSIVES = frozenset({"ваш", "вашу", "ваши", "свой", "свою", "свои", "твой", "твою"})
# What may follow a phone or a contact asked for: "скиньте телефон, перезвоню", "оставьте контакт, пожалуйста".
_CONTACT_CONTEXT = ("перезвон", "позвон", "набер", "наберу", "свяж", "звон", "пожалуйста", "срочно", "плиз", "сюда", "мне", "нам")
# Whose contact it is when it is not the other side's: "номер телефона курьера", "телефон поддержки".
_THIRD_PARTY_GENITIVES = ("курьер", "поддержк", "служб", "пункт", "пвз", "склад", "банк", "горяч", "оператор", "маркетплейс",
                          "площадк", "магазин", "доставк", "отделени", "сервис", "производител", "горячей")
# Where a contact left stays on the platform: "оставьте свой номер в профиле (в заказе)".
_ON_PLATFORM_PLACES = frozenset({"профиле", "заказе", "приложении", "кабинете", "карточке", "анкете"})
# The marketplace's own channels: "через чат маркетплейса", "в нашем магазине на Wildberries".
_OWN_CHANNEL_WORDS = frozenset({"маркетплейса", "маркетплейсе", "маркетплейс", "площадки", "площадке"})
# Lure phrases that ask for the other side's contact or move the talk to a messenger or mail:
# contact exchange (fined as such), not only a lure.
_SOLICITING_PHRASES = frozenset({
    ("дайте", "номер"), ("оставьте", "номер"), ("скиньте", "номер"), ("дай", "номер"), ("кинь", "номер"),
    ("номер", "телефона", "для", "связи"), ("пишите", "на", "почту"), ("напишите", "на", "почту"), ("добавьте", "меня"),
    ("добавь", "меня"), ("в", "личку"), ("в", "лс"), ("в", "личные", "сообщения"),
    ("в", "личных", "сообщениях"), ("в", "директ"),
})
# Invitations to follow, join or find a channel ("подпишитесь на наш телеграм", "ищите нас в ВК"):
# a lure, not a request for the other side's contact.
_FOLLOW_STEMS = ("подпиш", "подпис", "вступ", "заход", "зайд", "выйд", "найд", "ищит", "ищи")
# What is followed rather than written to: "наш телеграм-канал", "группа в ВК", "телеграм-магазин".
_CHANNEL_NOUNS = ("канал", "групп", "сообществ", "паблик", "магазин", "страниц", "профил")
# "напрямую со склада": shipped from the seller's warehouse, the way marketplace orders are.
_DIRECT_FROM_STOCK = ("склад", "завод", "производств", "фабрик")


def _names_another_number(word: str) -> bool:
    """Whether the word after "номер" says which number it is, other than a contact: a genitive
    ("стикера", "чека", "модели", "сборочного") or a number's name ("шк", "пвз")."""
    if word in _CONTACT_GENITIVES or word in _NOT_GENITIVES:
        return False
    if word in _NOT_A_CONTACT_NUMBER or word in lx.NUMBER_CONTEXT:
        return True
    return len(word) >= 3 and word.endswith(_GENITIVE_ENDINGS) and not word[:1].isdigit()


def _own_chat_after(a: Analysis, j: int, width: int = 4) -> bool:
    """The words after token j name the marketplace's own chat ("через чат маркетплейса", "в
    этом чате", "в чате Wildberries")."""
    after = a.words[j:j + width]
    own = _OWN_CHANNEL_WORDS | set(a.policy.brands) | {"этом", "этот", "нашем", "наш"}
    return any(w.startswith("чат") for w in after) and any(w in own for w in after)


def _on_the_marketplace(a: Analysis, j: int, width: int = 6) -> bool:
    """The words after token j place it on the marketplace ("наш магазин на Wildberries", "на
    маркетплейсе")."""
    own = _OWN_CHANNEL_WORDS | set(a.policy.brands)
    return any(a.words[k - 1] in ("на", "в") and a.words[k] in own for k in range(max(j, 1), min(len(a.words), j + width)))


def _contact_asked_at(a: Analysis, k: int, bare: bool | str) -> int:
    """Whether the words at token k name a contact asked for, and where they end (0 if not): a
    phone number ("номер телефона", "номер для связи"), a phone, a contact, an e-mail or
    electronic mail. `bare` (no possessive): a phone or a contact counts only as asked for ("телефон
    для связи", "скиньте телефон, перезвоню", or nothing after it); "question" (which phone?):
    only "телефон для связи"."""
    words = a.words
    w, after = words[k], words[k + 1:k + 3]
    if w == "номер":
        whose = words[k + 2:k + 3]
        if not (after[:1] and after[0] in _CONTACT_GENITIVES) or (whose and whose[0].startswith(_THIRD_PARTY_GENITIVES)):
            return 0  # "номер заказа", "номер телефона поддержки"
        return k + 2
    if w in ("телефон", "телефончик", "контакт", "контакты", "мобильный", "сотовый"):
        if after[:1] and after[0].startswith(_THIRD_PARTY_GENITIVES):
            return 0  # "телефон поддержки", "контакты курьера"
        if bare and w in ("телефон", "контакт", "контакты") and after[:2] != ["для", "связи"] and (
                bare == "question" or (after and not after[0].startswith(_CONTACT_CONTEXT))):
            return 0  # "пришлите телефон на диагностику", "телефон работает?", "какой у вас телефон?" (which model)
        return k + 1
    if w in ("контактный", "контактные") and after[:1] and after[0] in ("телефон", "номер", "данные"):
        return k + 2
    if w in ("email", "емейл", "имейл", "мейл", "электронку") or (w == "e" and after[:1] == ["mail"]):
        return k + (2 if w == "e" else 1)
    if w in ("электронную", "электронная") and after[:1] and after[0] in ("почту", "почта"):
        return k + 2
    return 0


def _requests_for_a_contact(a: Analysis) -> list[Span]:
    """Asking for the other side's contact without "ваш": "скиньте телефон", "назовите номер
    телефона", "оставьте контакт для связи", "напишите вашу электронную почту"; and asking what
    it is: "какой у вас номер телефона?", "какая у вас почта?". Not a number of something else
    ("назовите номер заказа"), nor whose it is not ("номер телефона курьера"), nor where the
    platform keeps it ("укажите телефон в профиле"), nor refused."""
    words = a.words
    spans = []
    for i, w in enumerate(words):
        question = w in ("какой", "какая", "какие", "какую")
        if not (question or w in _TELL_VERBS or w in _HAND_OVER_VERBS) or a.negated(i, before=2):
            continue
        k = i + 1
        while k < len(words) and k <= i + 4 and (words[k] in _REQUEST_FILLERS or (question and words[k] in ("у", "вас", "тебя"))):
            k += 1
        if k >= len(words):
            continue
        possessive = any(words[x] in _POSSESSIVES for x in range(i + 1, k))
        end = _contact_asked_at(a, k, bare="question" if question else not possessive)
        if question and not end and words[k] in ("почта", "почту") and words[k + 1:k + 2] != ["россии"]:
            end = k + 1  # "какая у вас почта?", not "почта России"
        if not end or any(words[x - 1] in ("в", "на") and words[x] in _ON_PLATFORM_PLACES for x in range(end, min(len(words), end + 3))):
            continue
        spans.append(a.span(i, end))
    return spans


def _asks_for_contact(a: Analysis) -> list[Span]:
    """Asking for the other side's contact: "напишите ваш телефон", "скиньте свой номер",
    "оставьте ваш номер". A request refused ("ваш номер нам не нужен") is none; nor is leaving
    it where the platform keeps it ("в профиле", "в заказе"), nor a number of something else
    ("ваш номер заказа", "ваш номер стикера с коробки"). A buyer's report is not read at all."""
    words = a.words
    asked = {k for k, _ in a.stem_hits("invite")} | {k for k, _ in a.stem_hits("pd_request")} | {
        k for k, x in enumerate(words) if x in _LEAVE_CONTACT_VERBS or x in _TELL_VERBS}
    spans = []
    for i, w in enumerate(words[:-1]):
        if w not in ("ваш", "вашу", "свой", "свою", "твой", "твою", "ваши", "свои") or words[i + 1] not in _CONTACT_NOUNS:
            continue
        if words[i + 1] == "номер" and words[i + 2:i + 3] and _names_another_number(words[i + 2]):
            continue
        if any(words[k - 1] in ("в", "на") and words[k] in _ON_PLATFORM_PLACES for k in range(i + 3, min(len(words), i + 6))):
            continue
        if any(k in asked and not a.negated(k) for k in range(max(0, i - 3), i + 8)) and not a.negated(i, before=3):
            spans.append(a.span(i, i + 2))
    return spans + _requests_for_a_contact(a)


class _LureSpans:
    """What detect_lures found: `contact` - moving the talk to a contact (asking for the other
    side's, inviting to a messenger or mail, pointing to one's own), which is contact exchange
    as well as a lure; `other` - every other invitation off the platform (buying directly, a
    site, a call, a visit), a lure only."""

    def __init__(self) -> None:
        self.contact: list[Span] = []
        self.other: list[Span] = []

    def findings(self) -> list[Finding]:
        out = [finding(Category.CONTACT_EXCHANGE, "contact.solicit", self.contact)] if self.contact else []
        if self.contact or self.other:
            out.append(finding(Category.OFF_PLATFORM_LURE, "lure", self.contact + self.other))
        return out


def _channels(a: Analysis) -> tuple[list[Hit], list[Hit]]:
    """Messengers named (ambiguous names only after a preposition) and other platforms."""
    words = a.words
    messengers = []
    for i, w in enumerate(words):
        if w in a.res.messengers:
            if w in lx.AMBIGUOUS_MESSENGERS and not (i > 0 and words[i - 1] in ("в", "во", "на", "через")):
                continue
            messengers.append((i, i + 1))
    return messengers + a.phrases("messenger_phrase"), a.phrases("platform")


def _mail_invitations(a: Analysis, found: _LureSpans) -> None:
    """"пишите на почту", "напишите мне на e-mail": an invitation next to a mail channel."""
    words = a.words
    prepositions = ("на", "в", "по")
    mail = [(i, i + 1) for i, w in enumerate(words) if w in lx.MAIL_CHANNELS and i > 0
            and (words[i - 1] in prepositions or (words[i - 1] == "e" and i > 1 and words[i - 2] in prepositions))]
    if mail and not a.stem_hits("third_party"):
        invites = [h for h in a.stem_hits("invite") if not a.negated(h[0])
                   and not words[h[0]].endswith(("ется", "ится", "ются", "ятся", "ет", "ит", "ут", "ют", "ат", "ят"))]
        for (m, inv) in near(mail, invites, 5):
            found.contact += [a.span(*m), a.span(*inv)]


def _channel_invitations(a: Analysis, found: _LureSpans) -> None:
    """An invitation to talk in a messenger ("напишите мне в WhatsApp", "давайте перейдём в
    телеграм", "у вас есть телеграм?", "в вацап удобнее": contact exchange, the other side's
    messenger contact is asked for); to follow or find a channel there, or to another platform,
    or a seller naming one at all unless refused ("мы не общаемся в мессенджерах") or the
    marketplace's own ("бот маркетплейса"): a lure."""
    words = a.words
    messengers, platforms = _channels(a)
    invites = [h for h in a.stem_hits("invite") if not a.negated(h[0])]
    for m, inv in near(messengers + platforms, invites, 4):
        talk = m in messengers and not words[inv[0]].startswith(_FOLLOW_STEMS) and not any(
            w.startswith(_CHANNEL_NOUNS) for w in words[m[1]:m[1] + 2])
        (found.contact if talk else found.other).extend((a.span(*m), a.span(*inv)))
    for m in messengers + platforms:
        if a.role is SenderRole.SELLER and not any(words[k] in {"маркетплейса", "площадки", *a.policy.brands}
                                                   for k in range(m[1], min(len(words), m[1] + 3))) \
                and not any(words[k] in ("не", "ни", "нет", "никогда") for k in range(max(0, m[0] - 4), m[0])):
            found.other.append(a.span(*m))
        i = m[0]
        before = words[max(0, i - 4):i]
        after = words[m[1]:m[1] + 2]
        if ("есть" in before and ("меня" in before or "вас" in before or "тебя" in before) and "нет" not in before) or \
           (i > 0 and words[i - 1] in ("в", "во", "на") and any(x.startswith(("удобн", "быстр", "лучше", "проще", "оператив", "надежн",
                                                                              "легче")) for x in after + before)):
            (found.contact if m in messengers else found.other).append(a.span(*m))


def _lure_phrases(a: Analysis, found: _LureSpans) -> None:
    words = a.words
    for i, j in a.phrases("lure"):
        if a.negated(i, before=2):
            continue
        if words[i] == "мой" and j < len(words) and words[j] in ("заказ", "заказа", "отправления"):
            continue
        if words[j - 1] == "номер" and j < len(words) and _names_another_number(words[j]):
            continue  # "оставьте номер заказа", "дайте номер отслеживания"
        if _own_chat_after(a, j):
            continue  # "можем созвониться через чат маркетплейса"
        (found.contact if tuple(words[i:j]) in _SOLICITING_PHRASES else found.other).append(a.span(i, j))


def _own_contact_pointers(a: Analysis, found: _LureSpans) -> None:
    """"мой номер есть в профиле", "моя почта ниже": pointing to one's own contact; when the
    contact itself follows, the contact detectors report it (a buyer's own contact is masked)."""
    words = a.words
    for i, w in enumerate(words[:-1]):
        if w in ("мой", "наш", "моя", "мои", "наша", "мою", "нашу") and words[i + 1] in (
                "номер", "телефон", "тел", "почта", "почту", "email", "емейл", "имейл", "мейл", "контакт", "контакты", "ник", "аккаунт",
                "телеграм", "тг", "вотсап", "ватсап", "whatsapp", "вайбер", "инстаграм", "инста", "вк", "телега", "телеграмм"):
            following = words[i + 2:i + 5]
            if following[:1] and following[0] in ("бот", "бота", "канал"):
                continue  # "мой телеграм-бот маркетплейса"
            if following[:1] and following[0] in ("заказа", "заказ", "отправления", "посылки", "поставки", "карты", "счета", "артикула",
                                                  "обращения", "претензии", "возврата"):
                continue
            if any(x[:1].isdigit() or "@" in x or x in ("собака", "at") or re.fullmatch(r"[a-z][a-z0-9_.]{2,}", x) for x in following):
                continue
            if not a.negated(i, before=2):
                channel = following[:1] and following[0].startswith(_CHANNEL_NOUNS)  # "наш телеграм-магазин": followed, not written to
                (found.other if channel else found.contact).append(a.span(i, i + 2))


def _dealings_off_platform(a: Analysis, found: _LureSpans, reported: bool) -> None:
    """Selling for cash, calling, visiting, dealing "напрямую": lures without a contact (only
    the call is left out when a buyer reports it)."""
    words = a.words
    # selling for cash: "могу продать вам остатки за наличные"
    for i, _ in a.stem_hits("sell"):
        if any(w.startswith(("налич", "нал")) and w != "наличии" for w in words[i + 1:i + 7]) and not a.negated(i):
            found.other.append(a.span(i, i + 1))
    # call us: "наберите нас", "звоните мне"
    for i, _ in a.stem_hits("call"):
        w = words[i]
        if i + 1 < len(words) and not w.endswith(("т", "ся")) \
                and any(x in ("мне", "меня", "нам", "нас") for x in words[i + 1:i + 3]) and not a.negated(i) and not reported:
            found.other.append(a.span(i, i + 1))
    # come to us: "приезжайте на наш склад", "заходите к нам в офис" - not the shop on the marketplace
    for i, _ in a.stem_hits("come"):
        if not a.negated(i) and not _on_the_marketplace(a, i + 1) and any(
                x.startswith(("склад", "офис", "шоурум", "нам", "мне", "магазин", "точк", "павильон", "рынк", "рынок"))
                for x in words[max(0, i - 5):i] + words[i + 1:i + 5]):
            found.other.append(a.span(i, i + 1))
    # "напрямую" with buying, paying or talking - not goods shipped "напрямую со склада"
    for i, w in enumerate(words):
        if w == "напрямую" and not any(x in ("не", "ни", "никогда", "нельзя") for x in words[max(0, i - 3):i + 3]):
            window = words[max(0, i - 3):i + 4]
            if words[i + 1:i + 2] in (["со"], ["с"], ["из"]) and any(x.startswith(_DIRECT_FROM_STOCK) for x in words[i + 2:i + 4]) \
                    and not any(x.startswith(("куп", "прод", "оплат", "плат", "переве", "налич")) for x in window):
                continue
            if any(x.startswith(("куп", "прод", "оплат", "плат", "переве", "оформ", "закаж", "заказ", "пиш", "свяж", "обща", "обращ", "звон",
                                 "мне", "нам", "договор", "отправ", "сдэк", "почт", "транспорт")) for x in window):
                found.other.append(a.span(i, i + 1))


def detect_lures(a: Analysis) -> list[Finding]:
    """Invitations off the platform. Those that move the talk to a contact - asking for the
    other side's ("оставьте ваш номер"), inviting to a messenger or mail ("напишите мне в
    WhatsApp"), pointing to one's own ("мой номер в профиле") - are contact exchange too (rule
    contact.solicit: the policy fines contact exchange); the others (buying directly, a site, a
    call, a visit) are a lure only. Nothing a buyer reports that someone else wrote."""
    found = _LureSpans()
    reported = a.reported()
    if not reported:
        _mail_invitations(a, found)
        _channel_invitations(a, found)
        _lure_phrases(a, found)
        _own_contact_pointers(a, found)
        found.contact += _asks_for_contact(a)
    _dealings_off_platform(a, found, reported)
    return found.findings()


# --------------------------------------------------------------------------------------------
# personal data requests and addresses, phishing phrases, extra payment


_CODE_WORDS = {"код", "кода", "коды", "кодом", "коду", "пароль", "пин"}
_SMS_WORDS = {"смс", "sms", "сообщении", "сообщения", "пуш", "push", "уведомлении", "банка"}


_DOCUMENT_PHOTO = re.compile(r"(?<![а-я])(?:фото|скан|копи[юя]|фотографи[юя]|селфи)\s+(?:[а-я]+\s+){0,2}"
                             r"(?:паспорт\w*|снилс\w*|карт[ыу]\b|банковской\s+карт\w*)")


def detect_personal_requests(a: Analysis) -> list[Finding]:
    if a.reported():
        return _address(a)
    requests = [h for h in a.stem_hits("pd_request") if not a.negated(h[0], before=3)
                and not (a.role is SenderRole.BUYER and a.words[h[0]].startswith("нуж"))]
    spans = []
    if a.role is SenderRole.SELLER:
        # documents asked for without a verb ("фото паспорта — тогда вернём"), a card number asked by bank
        if any(cue in a.text for cue in ("фото", "скан", "копи", "селфи")):
            for m in _DOCUMENT_PHOTO.finditer(a.text):
                i = a.token_at(m.start())
                j = a.token_at(max(m.start(), m.end() - 1))
                if not (a.negated(i, before=2) or any(w in _NEGATION_TOKENS for w in a.words[j + 1:j + 4])):
                    spans.append(a.char_span(m.start(), m.end()))
        if a.stem_hits("card"):
            for r in requests:
                if any(a.words[k] == "номер" for k in range(r[1], min(len(a.words), r[1] + 3))):
                    spans.append(a.span(*r))
    nouns = a.phrases("pd_noun")
    codes = [(i, i + 1) for i, w in enumerate(a.words) if w in _CODE_WORDS]
    sms = [(i, i + 1) for i, w in enumerate(a.words) if w in _SMS_WORDS]
    nouns = nouns + [c for c, _ in near(codes, sms, 5)] + [h for h in a.stem_hits("pd_stem") if a.words[h[0]].startswith("госуслуг")]
    for n, r in near(nouns, requests, 4):
        if a.negated(n[0], before=3):
            continue
        spans += [a.span(*n), a.span(*r)]
    strong = {"cvv", "cvc", "cvv2", "пин", "pin"}
    for n in nouns:
        if (a.words[n[0]] in strong or tuple(a.words[n[0]:n[1]])[:2] in (("код", "из"),)) and not a.negated(n[0], before=4):
            spans.append(a.span(*n))
    # questions asking for it: "какой у вас номер карты?", "где вы живете?"
    for n in nouns:
        tail = a.text[a.ends[n[1] - 1]:a.ends[n[1] - 1] + 3]
        if "?" in tail and a.role is SenderRole.SELLER:
            spans.append(a.span(*n))
    out = [finding(Category.PERSONAL_DATA, "request", spans)] if spans else []
    return out + _address(a)


def _address(a: Analysis) -> list[Finding]:
    words = a.words
    apartment = [i for i, w in enumerate(words) if w in ("кв", "квартира", "квартиры")]
    if not apartment:
        return []
    street = [i for i, w in enumerate(words) if w in ("ул", "улица", "улице", "проспект", "пр", "переулок", "пер", "шоссе", "бульвар", "мкр", "д",
                                                      "дом")]
    for i in apartment:
        for s in street:
            if 0 < i - s <= 8 and i + 1 < len(words) and words[i + 1][:1].isdigit():
                return [finding(Category.PERSONAL_DATA, "address.home", [a.span(s, i + 2)])]
    return []




def detect_phishing_phrases(a: Analysis) -> list[Finding]:
    hits = a.phrases("phishing")
    if a.role is not SenderRole.BUYER and "ссылк" in a.text:
        links = a.stem_hits("link_word")
        bait = a.stem_hits("bait")
        hits = hits + [b for _, b in near(links, bait, 8)]
    if not hits:
        return []
    linkish = "ссылк" in a.text or "http" in a.text or "www" in a.text or re.search(r"\.[a-z]{2,}/", a.text)
    if not linkish:
        return []
    return [finding(Category.PHISHING_LINK, "phrase", [a.span(*h) for h in hits])]


_YOU_OWE = re.compile(r"(?<![а-я])с вас(?:\s+ещ[её])?\s+\d[\d\s]*(?:руб|р\b|₽)|(?<![а-я])с вас\s+ещ[её]"
                      r"|(?<![а-я])(?:дополнительно|сверху|отдельно)\s+\d[\d\s]*(?:руб|р\b|₽)"
                      r"|(?<![а-я])(?:возьм[её]т|берет|бер[её]м|возьмем)\s+(?:ещ[её]\s+|дополнительно\s+)?\d[\d\s]*(?:руб|р\b|₽)")


def detect_extra_payment(a: Analysis) -> list[Finding]:
    words = a.words
    refund_context = {i for i, _ in a.stem_hits("refund")}
    pays = [(i, i + 1) for i, w in enumerate(words) if w in a.res.pay_words and not a.negated(i, before=3, after=1)
            and not (w.startswith("перевод") and (a.role is SenderRole.BUYER or any(abs(i - k) <= 4 for k in refund_context)))]
    cash_sale = [a.span(i, i + 1) for i, _ in a.stem_hits("sell")
                 if any(w.startswith("налич") and w != "наличии" for w in words[i + 1:i + 7]) and not a.negated(i)]
    if not pays and not cash_sale and not any(cue in a.text for cue in ("с вас", "дополнительно", "возьм", "отдельно", "сверху", "берет", "берем")):
        return []
    targets = [] if a.phrases("platform_payment") else a.phrases("pay_target")
    spans = list(cash_sale)
    for p, t in near(pays, targets, 5):
        imperative = words[p[0]].endswith("те") or words[p[0]] in ("оплати", "переведи", "доплати", "скинь", "кинь", "внеси", "заплати",
                                                                   "перечисли", "плати")
        if a.negated(t[0], before=2, after=2) or (not imperative and any(abs(p[0] - k) <= 8 for k in refund_context)):
            continue  # "деньги вернутся на карту, с которой была оплата"; "оплатите сбор за возврат" still counts
        spans += [a.span(*p), a.span(*t)]
    for p in pays:
        word = a.words[p[0]]
        if word.startswith(("доплат", "предоплат")) and a.role is not SenderRole.BUYER and not a.negated(p[0], before=3, after=2):
            spans.append(a.span(*p))
    if a.role is SenderRole.SELLER and any(cue in a.text for cue in ("с вас", "дополнительно", "возьм", "отдельно", "сверху", "берет", "берем")):
        spans += [a.char_span(m.start(), m.end()) for m in _YOU_OWE.finditer(a.text)
                  if not a.negated(a.token_at(m.start()), before=2)]
    return [finding(Category.EXTRA_PAYMENT, "payment.extra", spans)] if spans else []


# --------------------------------------------------------------------------------------------
# rudeness: mat, insults, threats; disparagement; spam; one-word replies


_MASK_CHARS = re.compile(r"[а-я][*@#$%][а-я*@#$%]|[а-я][*@#$%]{1,3}(?![а-я])")
_MASKED_WORD = re.compile(r"(?<![а-я*@#$%])[а-я]+[*@#$%][а-я*@#$%]*(?![а-я*@#$%])")
_ALPHABET = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"


def _unmask_matches(word: str, res: Resources) -> bool:
    """A word with a letter hidden by * @ # $ %: is some letter in its place a mat or rude word?"""
    masks = [i for i, c in enumerate(word) if c in "*@#$%"]
    if not masks or len(masks) > 2 or len(word) < 3:
        return False
    candidates = [word]
    for i in masks:
        candidates = [c[:i] + letter + c[i + 1:] for c in candidates for letter in _ALPHABET]
    vulgar = lx.VULGAR_STEMS
    for candidate in candidates:
        if candidate in _VULGAR or candidate in lx.MAT_EXCEPTIONS:
            if candidate in _VULGAR:
                return True
            continue
        if any(n <= len(candidate) and candidate[:n] in res.mat_stems for n in res.mat_stem_lengths):
            return True
        if candidate.startswith(tuple(vulgar)):
            return True
    return False


_VULGAR = frozenset({"долбанный", "долбаный", "долбанная", "долбаная", "долбанные", "долбаные", "долбанутый", "долбанутая",
                     "долбанутые", "отвали", "отвалите", "проваливай", "проваливайте", "еб", "говно", "говна", "говном", "говне", "дерьмо",
                     "дерьма", "дерьмом", "жопа", "жопу", "жопе", "жопой", "срать", "насрать", "обосрались", "зассал", "хрень", "хренью", "бля",
                     "блять", "блеать", "блэт", "нахрен", "похрен", "трахать", "трахнуть", "сучара", "манда", "манду", "мандой", "хреново",
                     "хреновый", "хреновая", "хреновое", "хреновые", "нахрена", "пздц", "пзд", "пздец", "пиздц", "хули", "нах", "нахуй", "ёпт",
                     "епт", "ебт", "ёб", "сцук", "сцуко", "ссука", "бляя", "хер", "херня", "херню", "херней"})


def detect_profanity(a: Analysis) -> list[Finding]:  # noqa: C901 - word-level exceptions for mat roots
    spans = []
    res = a.res
    def excepted(word: str) -> bool:
        return word in lx.MAT_EXCEPTIONS or word.startswith(lx.MAT_EXCEPTION_PREFIXES) or len(word) < 3

    words = a.words
    for i, _ in a.stem_hits("mat"):
        if not excepted(words[i]):
            spans.append(a.span(i, i + 1))

    def is_mat(word: str) -> bool:
        return not excepted(word) and any(n <= len(word) and word[:n] in res.mat_stems for n in res.mat_stem_lengths)

    lengths = [len(w) for w in words]
    # a word broken up: "ху й ня", "х уй"
    for i in [k for k in range(len(words) - 1) if lengths[k] <= 2 and lengths[k + 1] <= 3]:
        pieces, j = words[i], i + 1
        while j < len(words) and len(words[j]) <= 3 and j - i < 4:
            pieces += words[j]
            j += 1
            if any(len(words[k]) == 1 for k in range(i, j)) and is_mat(pieces):
                spans.append(a.span(i, j))
                break
    if "*" in a.text or "#" in a.text:
        for m in _MASKED_MAT.finditer(a.text):
            spans.append(a.char_span(m.start(), m.end()))
    if _MASK_CHARS.search(a.text):
        for m in _MASKED_WORD.finditer(a.text):
            if _unmask_matches(m.group(), res):
                spans.append(a.char_span(m.start(), m.end()))
    for i, _ in a.stem_hits("vulgar"):
        if not words[i].startswith(("жопт",)):
            spans.append(a.span(i, i + 1))
    for i, word in enumerate(a.words):
        if word in _VULGAR:
            spans.append(a.span(i, i + 1))
    spans += [a.span(*h) for h in a.phrases("vulgar_phrase")]
    return [finding(Category.PROFANITY, "profanity", spans)] if spans else []


def detect_insults(a: Analysis) -> list[Finding]:
    spans = []
    words = a.words
    for i, word in enumerate(words):
        if a.text[a.ends[i]:a.ends[i] + 1] == "-" and a.text[a.ends[i] + 1:a.ends[i] + 2].isalpha():
            continue  # part of a compound: "Лох-несское"
        quoted = a.starts[i] > 0 and a.text[a.starts[i] - 1] in "«\"" and a.text[a.ends[i]:a.ends[i] + 1] in "»\""
        if _MENTION_AFTER.match(a.text, a.ends[i]) or quoted:
            continue  # the word is named, not used: "Урод — это название модели", «Урод»
        if (i > 0 and words[i - 1] == "я") or (
                words[i + 1:i + 2] == ["я"] and not a.text[a.ends[i]:a.starts[i + 1]].strip()):
            continue  # self-deprecation: "Дура я, что не заказала раньше" (not "Ты идиот, я сказала")
        if word in a.res.insult_forms:
            if i > 0 and words[i - 1] in ("не", "ни") and i > 1 and words[i - 2] in ("я", "мы"):
                continue  # "я не идиот"
            spans.append(a.span(i, i + 1))
        elif word in a.res.directed_forms:
            vocative = (i == len(words) - 1 and "," in a.text[a.ends[i - 1]:a.starts[i]] if i > 0 else False) or \
                       (i == 0 and len(words) > 1 and "," in a.text[a.ends[0]:a.starts[1]])
            if vocative:
                spans.append(a.span(i, i + 1))
                continue
            before = words[max(0, i - 4):i]
            after = words[i + 1:i + 3]
            if any(w in _PERSONAL_SECOND_SUBJECTS for w in before) or any(w in _DIRECT_PRONOUNS or w in _PERSON_NOUNS for w in after):
                if "не" in before[-1:]:
                    continue
                spans.append(a.span(i, i + 1))
    spans += [a.span(*h) for h in a.phrases("insult_phrase")]
    spans += [a.span(*h) for h in a.phrases("directed_insult_phrase")
              if any(w in ("вы", "ты", "совсем") for w in words[max(0, h[0] - 4):h[0]])]
    # a short exclamation at the reader: "Жалкие мошенники!", "Ворюги!"
    if len(words) <= 4 and not any(w in ("не", "я", "мы", "осторожно", "это") for w in words):
        spans += [a.span(i, i + 1) for i, w in enumerate(words) if w in a.res.directed_forms and not w.endswith("о")]
    return [finding(Category.INSULT, "insult", spans)] if spans else []


_WEAK_THREAT_STARTS = {"ответишь", "ответите", "разберусь", "разберемся", "устрою"}


def detect_threats(a: Analysis) -> list[Finding]:
    hits = a.phrases("threat")
    spans = []
    lawful = bool(a.stem_hits("lawful"))
    for i, j in hits:
        if a.negated(i, before=2) and a.words[i] not in ("сдохни", "сдохните"):
            continue
        if a.words[j - 1] in ("пожалеете", "пожалеешь") and j < len(a.words) and a.words[j] == "что":
            continue  # "пожалеете, что не добавили XXL": regret, not a threat
        if lawful and a.words[i] in _WEAK_THREAT_STARTS:
            continue
        if a.words[i:j] == ["мало", "не", "покажется"] and not any(
                w in ("если", "вам", "тебе", "иначе", "приеду", "приедем", "приду", "придем") for w in a.words):
            continue  # "мало не покажется — куртка очень тёплая"
        spans.append(a.span(i, j))
    # a harm verb in the first person aimed at the reader: "я тебе шею сверну", "я вас уничтожу"
    words = a.words
    for i, w in enumerate(words):
        if w in a.res.harm_forms and not a.negated(i, before=2) and any(
                x in lx.SECOND_PERSON_OBJECTS for x in words[max(0, i - 3):i] + words[i + 1:i + 4]):
            spans.append(a.span(i, i + 1))
    # coming round armed: "приду к вам в офис с битой"
    words = a.words
    comes = [(i, i + 1) for i, w in enumerate(words) if w in ("приду", "приеду", "заявлюсь", "нагряну", "явлюсь", "придем", "приедем", "нагрянем",
                                                              "заявимся")]
    weapons = [(i, i + 1) for i, w in enumerate(words) if w in ("битой", "ножом", "топором", "ружьем", "пистолетом", "оружием", "арматурой",
                                                                "травматом")]
    # or in person, uninvited: "мы придём к вам лично", "приеду к тебе домой"
    weapons += [(i, i + 1) for i, w in enumerate(words) if w in ("лично", "домой") and i > 0 and words[i - 1] in ("вам", "тебе", "вас", "тебя")]
    for come, weapon in near(comes, weapons, 6):
        spans += [a.span(*come), a.span(*weapon)]
    # "напишешь ещё такой отзыв — будет хуже"
    for i in range(len(words) - 1):
        if words[i] == "будет" and words[i + 1] == "хуже" and any(
                w in ("еще", "напишешь", "напишете", "будешь", "будете", "если") for w in words[max(0, i - 6):i]):
            spans.append(a.span(i, i + 2))
    conditions, harms = a.phrases("extortion_condition"), a.phrases("extortion_harm")
    for c, h in near(conditions, harms, 8):
        if h[0] > c[0]:
            spans += [a.span(*c), a.span(*h)]
    return [finding(Category.THREAT, "threat", spans)] if spans else []


def detect_disparagement(a: Analysis) -> list[Finding]:
    if "от имени" in a.text:
        return []  # a warning about impostors, not a judgement of the marketplace
    words = a.words
    brands = a.policy.brands
    entities = a.phrases("entity") + [(i, i + 1) for i, w in enumerate(words) if w in brands] + a.stem_hits("rival")
    entities += [(i, i + 2) for i, _ in a.stem_hits("other") if i + 1 < len(words)
                 and words[i + 1].startswith(("магазин", "продав", "селлер", "бренд"))]
    if not entities:
        return []
    judgements = a.phrases("judgement") + [(i, i + 1) for i, w in enumerate(a.words) if w in lx.JUDGEMENT_WORDS] + a.stem_hits("judgement")
    spans = []
    for e, j in near(entities, judgements, 5):
        if a.negated(j[0], before=2):
            continue
        spans += [a.span(*e), a.span(*j)]
    return [finding(Category.DISPARAGEMENT, "disparagement", spans)] if spans else []


_STAR_REQUEST = re.compile(r"(?<![а-я])(?:поставьте|оставьте|поставь|оставь|ставьте|оцените)\s+(?:нас\s+)?(?:на\s+)?"
                           r"(?:нам\s+|пожалуйста\s+|оценку\s+|отзыв\s+(?:на\s+)?)*(?:5|пять|⭐|★)")


_SUBSCRIBE = {"подпишитесь", "подписывайтесь", "подпишись"}
# Inviting the buyer into the seller's shop on the marketplace itself ("заходите в наш магазин на
# Wildberries") is not advertising elsewhere.
_OWN_SHOP_INVITATIONS = frozenset({("заходите", "в", "наш", "магазин"), ("добавьте", "наш", "магазин")})


def detect_spam(a: Analysis) -> list[Finding]:
    inside = bool(a.phrases("platform_payment"))  # "подписывайтесь на наш магазин на площадке" is fine
    spans = [a.span(*h) for h in a.phrases("spam") if not a.negated(h[0], before=2)
             and not (inside and a.words[h[0]] in _SUBSCRIBE)
             and not (tuple(a.words[h[0]:h[1]]) in _OWN_SHOP_INVITATIONS and _on_the_marketplace(a, h[1], 3))]
    spans += [a.char_span(m.start(), m.end()) for m in _STAR_REQUEST.finditer(a.text)]
    if a.role is SenderRole.SELLER and "только сегодня" in a.text and "скидк" in a.text and not a.stem_hits("third_party"):
        spans += [a.char_span(a.text.index("только сегодня"), a.text.index("только сегодня") + len("только сегодня"))]
    if a.role is SenderRole.SELLER:
        for r, g in near(a.stem_hits("review"), a.stem_hits("reward"), 10):
            if not a.negated(g[0], before=2) and not a.words[r[0]].startswith("отзывч"):
                spans += [a.span(*r), a.span(*g)]
    return [finding(Category.SPAM_ADVERTISING, "spam", spans)] if spans else []


_BARE_ANSWERS = frozenset({"а", "хз", "хзз", "незнаю", "щас", "ща", "сейчас", "минуту", "секунду", "сделаем", "сделаю", "решим", "уточним",
                           "уточню", "проверим", "посмотрю", "понял", "поняла", "принял", "приняла", "принято", "хм", "хмм", "эм", "посмотрим",
                           "ясно", "понятно", "увидим", "поглядим", "нормально", "норм", "нормас", "окей", "оке", "окс", "ну", "хоп", "оп", "ммм",
                           "угум", "да", "нет", "ок", "ok", "ага", "угу", "неа", "есть", "нету", "будет", "ждите", "жди", "не", "знаю",
                           "хорошо", "ладно", "пришлем", "отправим", "отправили", "можно", "нельзя"})


def detect_low_effort(a: Analysis) -> list[Finding]:
    if a.role is not SenderRole.SELLER or len(a.words) > 3:
        return []
    words = [w for w in a.words if not w.isdigit()]
    letters = re.sub(r"[^0-9a-zа-я]", "", a.text)
    short_and_empty = len(words) <= 3 and all(w in _BARE_ANSWERS for w in words)  # "Да, есть", "Ок, ждите"
    one_word = len(words) == 1 and words[0] in lx.LOW_EFFORT_WORDS
    if not letters or one_word or short_and_empty or (len(words) == 2 and " ".join(words) in lx.LOW_EFFORT_WORDS):
        return [Finding(Category.LOW_EFFORT_REPLY, "reply.one_word", ())]
    return []


DETECTORS = (
    detect_phones, detect_personal_numbers, detect_emails, detect_links, detect_handles, detect_lures,
    detect_personal_requests, detect_phishing_phrases, detect_extra_payment, detect_profanity, detect_insults,
    detect_threats, detect_disparagement, detect_spam,
)
# What people hide with look-alikes, spacing and spelled digits; the rest is read on the
# character view only.
DEOBFUSCATED_DETECTORS = (
    detect_phones, detect_emails, detect_links, detect_handles, detect_lures, detect_personal_requests,
    detect_extra_payment, detect_profanity, detect_insults, detect_threats,
)


def invitations(a: Analysis) -> list[Span]:
    """Invitations to act ("пишите", "звоните", "заходите"), not negated and not reported."""
    if a.reported():
        return []
    return [a.span(*h) for h in a.stem_hits("invite") if not a.negated(h[0], before=1)]
