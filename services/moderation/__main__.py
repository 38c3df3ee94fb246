from prilavok_platform.lifecycle import run, run_workers
from services.moderation.bootstrap import load_settings, main

if __name__ == "__main__":
    workers = load_settings().common.workers
    if workers > 1:
        # The engine is CPU-bound Python: one process per core.
        run_workers("moderation", main, workers)
    else:
        run("moderation", main)
