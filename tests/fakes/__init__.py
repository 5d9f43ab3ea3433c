"""Loopback fakes that speak each provider's documented wire format (JSON and streaming)."""
