"""The GenAI client histograms, created once per ``instrument()`` with the spec's buckets."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from opentelemetry.context import Context
from opentelemetry.metrics import Meter

from langchain_otel import _semconv as sc
from langchain_otel._values import Attributes


class ChatMetrics:
    """Records one call's points; the attribute dict is the one built for the span."""

    def __init__(self, meter: Meter, time_per_chunk: bool) -> None:
        self._duration = meter.create_histogram(
            sc.METRIC_OPERATION_DURATION,
            unit="s",
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=list(sc.DURATION_BUCKETS),
        )
        self._tokens = meter.create_histogram(
            sc.METRIC_TOKEN_USAGE,
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=list(sc.TOKEN_BUCKETS),
        )
        self._time_to_first_chunk = meter.create_histogram(
            sc.METRIC_TIME_TO_FIRST_CHUNK,
            unit="s",
            description="Time to receive the first chunk in a streaming operation.",
            explicit_bucket_boundaries_advisory=list(sc.DURATION_BUCKETS),
        )
        self._time_per_chunk = (
            meter.create_histogram(
                sc.METRIC_TIME_PER_OUTPUT_CHUNK,
                unit="s",
                description="Time between consecutive chunks after the first in a stream.",
                explicit_bucket_boundaries_advisory=list(sc.DURATION_BUCKETS),
            )
            if time_per_chunk
            else None
        )

    @property
    def records_chunk_times(self) -> bool:
        return self._time_per_chunk is not None

    def record(
        self,
        attributes: Attributes,
        duration_s: float,
        input_tokens: int | None,
        output_tokens: int | None,
        error_type: str | None,
        call_context: Context,
    ) -> None:
        """Duration (with ``error.type`` on failure) and one token point per reported type.

        Recorded in ``call_context`` (the call's span): with the SDK's default ``trace_based``
        exemplar filter, each point of a sampled call carries its trace and span ids.
        """
        if input_tokens is not None:
            self._tokens.record(
                input_tokens,
                {**attributes, sc.TOKEN_TYPE: sc.TOKEN_TYPE_INPUT},
                context=call_context,
            )
        if output_tokens is not None:
            self._tokens.record(
                output_tokens,
                {**attributes, sc.TOKEN_TYPE: sc.TOKEN_TYPE_OUTPUT},
                context=call_context,
            )
        if error_type is not None:
            attributes = {**attributes, sc.ERROR_TYPE: error_type}
        self._duration.record(duration_s, attributes, context=call_context)

    def record_stream_timing(
        self,
        attributes: Attributes,
        time_to_first_chunk_s: float | None,
        chunk_times_ns: Sequence[int],
        call_context: Context,
    ) -> None:
        """Time to first chunk, and the per-chunk gaps when that opt-in metric is on."""
        if time_to_first_chunk_s is not None:
            self._time_to_first_chunk.record(
                time_to_first_chunk_s, attributes, context=call_context
            )
        histogram = self._time_per_chunk
        if histogram is not None:
            for previous, current in pairwise(chunk_times_ns):
                histogram.record((current - previous) / 1e9, attributes, context=call_context)
