from prilavok_platform.lifecycle import run
from services.returns.bootstrap import main

if __name__ == "__main__":
    run("returns", main)
