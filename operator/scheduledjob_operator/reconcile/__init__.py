"""Reconcile: read a ScheduledJob's world through a `Cluster`, converge it, report its status.

It depends on the small `cluster.Cluster` Protocol, not on the Kubernetes client, so the same
code runs against the real API server and against the in-memory one the unit tests use.
"""
