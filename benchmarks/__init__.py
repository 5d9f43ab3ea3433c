"""Overhead benchmarks for langchain-otel (``make bench``, ``make bench-icount``,
``make bench-profile``).

``models`` (instant OpenAI-shaped chat, embedding and completion models, and their mappers),
``calls`` (the measured ops), ``setups`` (what each configuration instruments; the floors doing
our work), ``icount`` (instructions per call under callgrind, the targets, the profile), ``wall``
(wall time with pyperf), ``report`` (``RESULTS.md``, ``PROFILE.md``), ``install`` (the peers).
"""
