"""What this instrumentation instruments, as ``opentelemetry-instrument`` checks it."""

_instruments = ("langchain-core >= 0.3",)

_supports_metrics = True
