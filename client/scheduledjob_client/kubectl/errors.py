"""The plugin's one error: what went wrong, printed as `error: …` with exit code 1.

Errors from `scheduledjob_client.scheduling` (not found, refused, forbidden) already say what,
where and what to do; the CLI prints them the same way.
"""

from __future__ import annotations


class PluginError(Exception):
    """A failed `kubectl sj` command; the message is shown to the user as is."""
