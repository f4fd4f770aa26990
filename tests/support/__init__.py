"""Jobs and helpers the runtime tests run (importable as `support.*` with tests/ on the path)."""
