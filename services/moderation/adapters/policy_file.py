"""The moderation policy file: the default beside the service, read through the platform's one
loader (`prilavok_platform.policy_file`). The service builds its reloading holder in
`bootstrap.load_settings`; tools and tests read a policy once with `load_policy`."""
from __future__ import annotations

import pathlib

from prilavok_platform.policy_file import load_policy_file
from services.moderation.domain.policy import Policy

DEFAULT_POLICY = pathlib.Path(__file__).resolve().parent.parent / "default_policy.yaml"


def load_policy(path: str | pathlib.Path | None = None) -> Policy:
    return load_policy_file(path or DEFAULT_POLICY, Policy.from_dict)
