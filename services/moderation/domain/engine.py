"""The moderation engine: normalise, run detectors, apply the policy.

This is the first rule set of the walking skeleton: phones, e-mails, links and
messenger handles, off-platform lures, obvious mat and insults, extra-payment demands and
a seller's one-word replies. Its shape (detectors returning findings with spans in the
original text, a policy deciding the action) is what the full engine builds on.
"""
from __future__ import annotations

import re
from typing import Callable, Iterable

import phonenumbers

from services.moderation.domain.model import (
    Action, Category, Finding, MessageToCheck, SenderRole, Span, Verdict,
)
from services.moderation.domain.normalize import NormalizedText, normalize
from services.moderation.domain.policy import Policy

Detector = Callable[[NormalizedText, MessageToCheck, Policy], Iterable[Finding]]

# Words before a long number that say it is an order/article/tracking number, not a phone.
_NUMBER_CONTEXT = re.compile(
    r"(заказ\w*|артикул\w*|арт\.?|трек\w*|imei|штрих\w*|шк|баркод\w*|отправлени\w*|посылк\w*|"
    r"№|номер\s+(?:заказа|отправления|посылки)|sku|накладн\w*|чек\w*|инн|огрн)\W{0,3}$"
)
_PHONE_CANDIDATE = re.compile(r"(?<!\d)(?:\+\s*)?\d(?:[\s\-().]{0,3}\d){9,11}(?!\d)")
_EMAIL = re.compile(
    r"[a-z0-9._%+\-]{2,}\s*(?:@|\(?\s*(?:собака|собачка|at)\s*\)?)\s*[a-z0-9\-]{2,}"
    r"\s*(?:\.|\(?\s*(?:точка|dot)\s*\)?)\s*(?:ru|com|net|org|рф|ua|by|kz|info|me)\b"
)
_URL = re.compile(
    r"(?:https?://|www\.)[^\s]+|\b[a-z0-9][a-z0-9\-]{1,62}(?:\.[a-z0-9\-]{2,62})*\.(?:ru|com|net|org|рф|su|me|io|info|biz|shop|store|online|site|ly|cc|to|gg)\b(?:/[^\s]*)?"
)
_SHORTENERS = ("bit.ly", "clck.ru", "tinyurl.com", "goo.su", "cutt.ly", "t.co", "is.gd", "vk.cc")
_SOCIAL_LINK_HOSTS = ("t.me", "wa.me", "vk.com", "vk.ru", "instagram.com", "ok.ru", "viber.click", "telegram.me")
_MESSENGERS = (
    r"whats\s?app|ват?с\s?ап+|вацап+|вотсап+|ватцап+|telegram|телеграм+\w*|телег[аеу]|тг|tg|"
    r"viber|вайбер\w*|вибер\w*|instagram|инстаграм\w*|инст[ау]?|вконтакте|вк|vk|max|макс|signal|сигнал"
)
_LURE = re.compile(
    r"(?:напиш\w*|пиши\w*|свяж\w*|звон\w*|позвон\w*|добав\w*|стукн\w*|перейд\w*|переход\w*|пишите|найдите|ищите)"
    r"[^.!?\n]{0,40}?\b(?:в|на|во)?\s*(?:" + _MESSENGERS + r")\b"
    r"|(?:" + _MESSENGERS + r")\s*[:\-]?\s*@?[a-z0-9_]{4,}"
    r"|(?:мимо|без|вне|минуя)\s+(?:маркетплейс\w*|площадк\w*|сайт\w*|комисси\w*)"
    r"|(?:позвоните|наберите|звоните)\s+(?:мне|нам)"
)
_HANDLE = re.compile(r"(?<![\w@])@[a-z0-9_]{4,32}\b")
_EXTRA_PAYMENT = re.compile(
    r"(?:оплат\w*|доплат\w*|переве\w*|перечисл\w*|скин\w*)\s+(?:\w+\s+){0,3}?"
    r"(?:дополнительно|отдельно|сверху|на\s+карт\w*|на\s+(?:мой|наш)\s+(?:счет|номер)|по\s+сбп|наличн\w*)"
    r"|оплатите\s+дополнительно|доплатите|предоплат\w*"
)
_PROFANITY = re.compile(
    r"(?<![а-я])(?:х[уy][йеяию]\w*|пизд\w*|пезд\w*|(?:за|от|у|вы|до|на|по|при|раз|съ|из)?[её]б(?:а|ан|ну|ыв|ал|ат|у|лан)\w*|"
    r"бля(?:дь|ть|ди|д|)(?![а-я])|бляд\w*|сук[аиу](?![а-я])|мудак\w*|мудил\w*|гандон\w*|пидор\w*|пидар\w*|залуп\w*)"
)
_INSULT = re.compile(
    r"(?<![а-я])(?:идиот\w*|дебил\w*|кретин\w*|дур[ао]к\w*|дура(?![а-я])|тупиц\w*|тупой|тупая|урод\w*|"
    r"придур\w*|быдл\w*|овощ(?![а-я])|лох(?:и|ушка)?(?![а-я])|мошенни(?:к|ца|ки)(?![а-я]))"
)
_THREAT = re.compile(
    r"(?<![а-я])(?:убью|убъю|прибью|урою|зарежу|найду\s+(?:тебя|вас)|тебе\s+конец|вам\s+конец|"
    r"пожалеешь|пожалеете|ноги\s+переломаю|сожгу)"
)
_DISPARAGEMENT = re.compile(
    r"(?:вайлдберриз|wildberries|вб|озон|ozon|маркетплейс|площадк\w*|поддержк\w*|пвз|другие\s+продавц\w*|конкурент\w*)"
    r"[^.!?\n]{0,30}?(?:воры|ворует|кидал\w*|мошенни\w*|обманыва\w*|отстой|ужасн\w*|помойк\w*|жулик\w*)"
)
_SPAM = re.compile(
    r"купите\s+(?:еще|ещё|также|и)\s+\w*|подпис\w+\s+на\s+(?:наш|мой)|скидк\w*\s+(?:\d+\s*%\s*)?(?:на\s+)?(?:в\s+)?(?:наш|моем|нашем)\s+(?:магазин|сайт)"
    r"|(?:в|на)\s+(?:нашем|моем|моём)\s+(?:сайте|магазине|инстаграм\w*)\s+дешевле"
)
_LOW_EFFORT_WORDS = {
    "да", "нет", "ок", "ok", "okay", "хорошо", "ага", "угу", "норм", "ясно", "понятно", "ладно", "неа",
    "будет", "есть", "нету", "ждите", "пришлем", "отправили", "+", "-", "?", "спасибо",
}
_WORD = re.compile(r"[a-zа-я0-9]+")


def _spans(norm: NormalizedText, matches: Iterable[re.Match]) -> tuple[Span, ...]:
    return tuple(Span(*norm.to_original(m.start(), m.end())) for m in matches)


def detect_phones(norm: NormalizedText, message: MessageToCheck, policy: Policy) -> Iterable[Finding]:
    spans = []
    for match in _PHONE_CANDIDATE.finditer(norm.text):
        before = norm.text[max(0, match.start() - 30):match.start()]
        if _NUMBER_CONTEXT.search(before):
            continue
        digits = re.sub(r"\D", "", match.group())
        if len(digits) == 11 and digits[0] in "78":
            national = digits[1:]
        elif len(digits) == 10:
            national = digits
        else:
            continue
        try:
            number = phonenumbers.parse("+7" + national)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            spans.append(match)
    if spans:
        yield Finding(Category.CONTACT_EXCHANGE, "phone.digits", _spans(norm, spans))


def detect_emails(norm: NormalizedText, message: MessageToCheck, policy: Policy) -> Iterable[Finding]:
    matches = list(_EMAIL.finditer(norm.text))
    if matches:
        yield Finding(Category.CONTACT_EXCHANGE, "email", _spans(norm, matches))


def _host_of(url: str) -> str:
    host = re.sub(r"^(?:https?://)?(?:www\.)?", "", url).split("/")[0].split("?")[0]
    return host.strip(".,;:!?)(")


def _is_marketplace_host(host: str, policy: Policy) -> bool:
    return any(host == d or host.endswith("." + d) for d in policy.marketplace_domains)


def _looks_like_brand(host: str, policy: Policy) -> bool:
    label = host.replace("-", "").replace(".", "")
    return any(brand.isascii() and brand in label for brand in policy.brands)


def detect_links(norm: NormalizedText, message: MessageToCheck, policy: Policy) -> Iterable[Finding]:
    contact, phishing = [], []
    for match in _URL.finditer(norm.text):
        host = _host_of(match.group())
        if not host or _is_marketplace_host(host, policy):
            continue
        if "@" in norm.text[max(0, match.start() - 1):match.start()]:
            continue  # the domain part of an e-mail, reported by detect_emails
        if host in _SHORTENERS or host.startswith("xn--") or ".xn--" in host or _looks_like_brand(host, policy):
            phishing.append(match)
        elif any(host == h or host.endswith("." + h) for h in _SOCIAL_LINK_HOSTS):
            contact.append(match)
        else:
            contact.append(match)
    if phishing:
        yield Finding(Category.PHISHING_LINK, "link.suspicious", _spans(norm, phishing))
    if contact:
        yield Finding(Category.CONTACT_EXCHANGE, "link.outside", _spans(norm, contact))


def _regex_detector(pattern: re.Pattern, category: Category, rule: str) -> Detector:
    def detect(norm: NormalizedText, message: MessageToCheck, policy: Policy) -> Iterable[Finding]:
        matches = list(pattern.finditer(norm.text))
        if matches:
            yield Finding(category, rule, _spans(norm, matches))

    detect.__name__ = f"detect_{rule.replace('.', '_')}"
    return detect


def detect_handles(norm: NormalizedText, message: MessageToCheck, policy: Policy) -> Iterable[Finding]:
    matches = list(_HANDLE.finditer(norm.text))
    if matches:
        yield Finding(Category.CONTACT_EXCHANGE, "handle.at", _spans(norm, matches))


def detect_low_effort(norm: NormalizedText, message: MessageToCheck, policy: Policy) -> Iterable[Finding]:
    if message.role is not SenderRole.SELLER:
        return
    words = _WORD.findall(norm.text)
    if not words or (len(words) == 1 and words[0] in _LOW_EFFORT_WORDS):
        yield Finding(Category.LOW_EFFORT_REPLY, "reply.one_word", ())


DETECTORS: tuple[Detector, ...] = (
    detect_phones,
    detect_emails,
    detect_links,
    detect_handles,
    _regex_detector(_LURE, Category.OFF_PLATFORM_LURE, "lure.messenger"),
    _regex_detector(_EXTRA_PAYMENT, Category.EXTRA_PAYMENT, "payment.extra"),
    _regex_detector(_PROFANITY, Category.PROFANITY, "profanity.mat"),
    _regex_detector(_INSULT, Category.INSULT, "insult.word"),
    _regex_detector(_THREAT, Category.THREAT, "threat.phrase"),
    _regex_detector(_DISPARAGEMENT, Category.DISPARAGEMENT, "disparagement.marketplace"),
    _regex_detector(_SPAM, Category.SPAM_ADVERTISING, "spam.upsell"),
    detect_low_effort,
)


def _mask(text: str, spans: Iterable[Span]) -> str:
    chars = list(text)
    for span in spans:
        for i in range(span.start, min(span.end, len(chars))):
            if not chars[i].isspace():
                chars[i] = "*"
    return "".join(chars)


class ModerationEngine:
    def __init__(self, policy: Policy, detectors: tuple[Detector, ...] = DETECTORS):
        self.policy = policy
        self._detectors = detectors

    def check(self, message: MessageToCheck) -> Verdict:
        norm = normalize(message.text)
        findings: list[Finding] = []
        for detector in self._detectors:
            findings.extend(detector(norm, message, self.policy))
        policy = self.policy
        if not findings:
            return Verdict(Action.ALLOW, (), "", "", policy.version)
        actions = {f.category: policy.action_for(f.category, message.role) for f in findings}
        action = max(actions.values())
        reasons = [policy.reasons[c] for c, a in actions.items() if a is not Action.ALLOW]
        masked = ""
        if action is Action.MASK:
            masked = _mask(message.text, [s for f in findings if actions[f.category] is Action.MASK for s in f.spans])
        kept = tuple(f for f in findings if actions[f.category] is not Action.ALLOW)
        return Verdict(action, kept, " ".join(reasons), masked, policy.version)
