"""Shared pytest set-up: the cluster fixtures come from the project's own pytest plugin."""

pytest_plugins = ["pytester", "scheduledjob_dev.pytest_plugin"]
