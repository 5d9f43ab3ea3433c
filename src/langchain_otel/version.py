"""Version of the langchain-otel distribution (read by hatchling)."""

__version__ = "0.1.0"
