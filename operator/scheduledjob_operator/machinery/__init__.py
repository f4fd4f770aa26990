"""Kubernetes machinery: the API client, the watch-fed cache, the work queue, leader election.

Nothing here knows what a ScheduledJob means beyond its kind; the domain and reconcile layers
above decide what to write.
"""
