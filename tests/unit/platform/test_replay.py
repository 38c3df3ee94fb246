"""The mark of a replayed answer: sent only for a replay, as the response's initial metadata."""
from __future__ import annotations

from prilavok_platform.replay import REPLAYED_HEADER, tell_replayed


class RecordingContext:
    """A servicer context that keeps what was sent as response (initial) metadata."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send_initial_metadata(self, initial_metadata) -> None:
        self.sent.extend(initial_metadata)


async def test_only_a_replayed_answer_is_marked():
    first, replay = RecordingContext(), RecordingContext()
    await tell_replayed(first, False)
    await tell_replayed(replay, True)
    assert (first.sent, replay.sent) == ([], [(REPLAYED_HEADER, "true")])
    assert REPLAYED_HEADER == "prilavok-idempotent-replayed", "the name clients read (README, protos): never renamed"
