"""Jitter: a stable per-key delay that spreads schedules sharing a fire time.

Many ScheduledJobs fire at 00:00; delaying each by a few seconds chosen from its own name
spreads the load. The delay must be the same in every process, replica and Python version
(so a restart or a second operator agrees), hence SHA-256 rather than `hash()`, which is
salted per process.
"""

from __future__ import annotations

import hashlib

_BITS = 64  # 2**64 values make the modulo bias negligible for any sensible maximum


def jitter_seconds(key: str, max_seconds: int) -> int:
    """A delay in [0, max_seconds], fixed for `key` and spread evenly across keys."""
    if max_seconds < 0:
        message = f"max_seconds must not be negative, got {max_seconds}"
        raise ValueError(message)
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[: _BITS // 8], "big") % (max_seconds + 1)
