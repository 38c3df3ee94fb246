from prilavok_platform.lifecycle import run
from services.moderation.bootstrap import main

if __name__ == "__main__":
    run("moderation", main)
