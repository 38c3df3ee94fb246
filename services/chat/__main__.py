from prilavok_platform.lifecycle import run
from services.chat.bootstrap import main

if __name__ == "__main__":
    run("chat", main)
