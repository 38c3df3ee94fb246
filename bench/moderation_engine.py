"""In-process moderation engine: start-up time and CheckMessage latency on 500-character messages."""
from __future__ import annotations

import random
import statistics
import time

SAMPLES = [
    "Здравствуйте! Подскажите, пожалуйста, когда будет отправлен мой заказ номер 4589123345? ",
    "Добрый день. Товар пришёл с повреждённой упаковкой, но сам чайник цел. Спасибо за быструю доставку! ",
    "Напишите мне в вацап восемь девятьсот двенадцать триста сорок пять шестьдесят семь восемьдесят девять ",
    "Размер 42, артикул 15566782, штрихкод 4601234567890. Пришёл не тот цвет, хочу оформить возврат. ",
    "Оплатите дополнительно доставку 300 рублей на карту, иначе не отправлю. ",
]


def make_message(rng: random.Random) -> str:
    text = ""
    while len(text) < 500:
        text += rng.choice(SAMPLES)
    return text[:500]


def main() -> None:
    started = time.perf_counter()
    from services.moderation.adapters.policy_file import load_policy
    from services.moderation.domain.engine import ModerationEngine
    from services.moderation.domain.model import MessageToCheck, SenderRole

    engine = ModerationEngine(load_policy())
    engine.check(MessageToCheck("прогрев", SenderRole.BUYER))
    startup = time.perf_counter() - started
    rng = random.Random(7)
    messages = [MessageToCheck(make_message(rng), rng.choice([SenderRole.BUYER, SenderRole.SELLER])) for _ in range(2000)]
    for m in messages[:200]:
        engine.check(m)
    timings = []
    for m in messages:
        t0 = time.perf_counter_ns()
        engine.check(m)
        timings.append((time.perf_counter_ns() - t0) / 1e6)
    timings.sort()
    p50, p99 = timings[len(timings) // 2], timings[int(len(timings) * 0.99)]
    print(f"moderation engine (in-process, 500-char messages, n={len(timings)}): "
          f"start-up {startup:.2f} s, p50 {p50:.3f} ms, p99 {p99:.3f} ms, mean {statistics.mean(timings):.3f} ms")


if __name__ == "__main__":
    main()
