"""Overhead benchmarks for langchain-otel (``make bench``, ``make bench-icount``,
``make bench-profile``).

Modules: ``fake_chat`` (the instant OpenAI-shaped chat model), ``fake_models`` (the instant
embedding and completion models), ``floor`` (the floors: a bare span,
a span plus the spec's metric points, the points alone), ``variants`` (what each measured
configuration instruments), ``worker`` (one variant, one fresh process), ``run`` (wall-time
rounds, statistics), ``icount`` and ``icount_worker`` (instructions per call under callgrind; the
targets), ``analysis``/``report``/``results`` (ratios, verdicts, tables, ``RESULTS.md``),
``memory`` (growth over 100k calls), ``profiling`` (cProfile, ``PROFILE.md``), ``install`` (the
peers, each optional).
"""
