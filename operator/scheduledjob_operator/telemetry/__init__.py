"""The operator's own telemetry: Prometheus metrics, Pushgateway clean-up and structured logs."""
