from prilavok_platform.lifecycle import run
from services.notify.bootstrap import main

if __name__ == "__main__":
    run("notify", main)
