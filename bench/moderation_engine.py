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


def labelled_texts(honest_only: bool = False) -> list[str]:
    from services.moderation.evaluation import DATASET, load

    return [e.text for e in load(DATASET) if not (honest_only and e.labels)]


def make_typical(rng: random.Random, texts: list[str]) -> str:
    """500 characters of real-looking marketplace talk drawn from the labelled set."""
    text = ""
    while len(text) < 500:
        text += rng.choice(texts) + " "
    return text[:500]


def measure(engine, messages) -> tuple[float, float, float, float]:
    """Wall-clock p50/p99/mean, and p99 of the CPU time of the calling thread (this machine
    shares its cores: CPU time excludes what neighbours steal)."""
    for m in messages[:200]:
        engine.check(m)
    wall, cpu = [], []
    for m in messages:
        t0, c0 = time.perf_counter_ns(), time.thread_time_ns()
        engine.check(m)
        cpu.append((time.thread_time_ns() - c0) / 1e6)
        wall.append((time.perf_counter_ns() - t0) / 1e6)
    wall.sort()
    cpu.sort()
    return wall[len(wall) // 2], wall[int(len(wall) * 0.99)], statistics.mean(wall), cpu[int(len(cpu) * 0.99)]


def main() -> None:
    started = time.perf_counter()
    from services.moderation.bootstrap import load_policy
    from services.moderation.domain.engine import ModerationEngine
    from services.moderation.domain.model import MessageToCheck, SenderRole

    engine = ModerationEngine(load_policy())
    engine.check(MessageToCheck("прогрев", SenderRole.BUYER))
    startup = time.perf_counter() - started
    import gc

    gc.freeze()  # as the service does after start-up: the lexicons leave the collector's scans
    rng = random.Random(7)
    roles = [SenderRole.BUYER, SenderRole.SELLER]
    texts = labelled_texts()
    honest = labelled_texts(honest_only=True)
    honest_long = [MessageToCheck(make_typical(rng, honest), rng.choice(roles)) for _ in range(3000)]
    typical = [MessageToCheck(make_typical(rng, texts), rng.choice(roles)) for _ in range(3000)]
    obfuscated = [MessageToCheck(make_message(rng), rng.choice(roles)) for _ in range(3000)]
    print(f"moderation engine start-up (policy, lexicons, pymorphy3 forms, suffix list): {startup:.2f} s")
    for name, messages in (("honest 500-char messages (honest labelled-set text)", honest_long),
                           ("violation-dense 500-char messages (all labelled-set text, ~4 violations each)", typical),
                           ("obfuscation-heavy 500-char messages (spelled phones, look-alikes)", obfuscated)):
        p50, p99, mean, cpu99 = measure(engine, messages)
        print(f"  {name}, n={len(messages)}: p50 {p50:.3f} ms, p99 {p99:.3f} ms, mean {mean:.3f} ms (CPU-time p99 {cpu99:.3f} ms)")


if __name__ == "__main__":
    main()
