"""Overhead benchmarks for langchain-otel (``make bench``, ``make bench-profile``).

Modules: ``fake_chat`` (the instant OpenAI-shaped chat model), ``floor`` (the bare-span reference
wrapper), ``variants`` (what each measured configuration instruments), ``worker`` (one variant, one
fresh process), ``run`` (rounds, statistics, targets, ``RESULTS.md``), ``memory`` (growth over
100k calls), ``profiling`` (cProfile, ``PROFILE.md``), ``install`` (the peers, each optional).
"""
