import sys

from services.moderation.bootstrap import load_policy
from services.moderation.domain.engine import ModerationEngine
from services.moderation.evaluation import DATASET, evaluate, load, render


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else DATASET
    import pathlib

    report = evaluate(ModerationEngine(load_policy()), load(pathlib.Path(path)))
    print(render(report))


if __name__ == "__main__":
    main()
