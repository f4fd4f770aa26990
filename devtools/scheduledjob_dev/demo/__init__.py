"""The local demo: the whole system on this machine, from `kubectl apply` to Prometheus."""
