"""Pure functions that turn a ScheduledJob into the manifests it owns; no I/O here."""
