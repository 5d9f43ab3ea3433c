"""Amazon Bedrock Converse API (``ChatBedrockConverse``).

What langchain-aws exposes, and so what the span gets (both modes):

- the model: ``model_name`` is the configured ``base_model_id`` or ``model_id``; Converse does
  not report the served model;
- no response id: ``ResponseMetadata.RequestId`` is the AWS request id, not a response id;
- the finish reason: ``stopReason`` (``end_turn``, ``tool_use``, ``max_tokens``,
  ``stop_sequence``, ``guardrail_intervened``, ``content_filtered``);
- tokens from ``usage`` (``metadata`` event when streaming): LangChain adds
  ``cacheReadInputTokens`` and ``cacheWriteInputTokens`` to ``input_tokens`` once, splits cache
  writes by TTL from ``cacheDetails``, and reports thinking tokens as reasoning.

Request parameters follow langchain-aws's ``_converse_params``: call kwargs (snake or camel case)
over the fields, an explicit ``inferenceConfig`` replacing both, ``top_k`` from the merged
``additional_model_request_fields``. ``aws.bedrock.guardrail.id`` comes from the guardrail config.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_otel import _semconv as sc
from langchain_otel._request import ChatRequest, RequestFields, extract_request_params
from langchain_otel._values import Attributes, as_float
from langchain_otel.providers._base import first_str
from langchain_otel.providers.bedrock import BedrockRuntimeMapper

CONVERSE_FIELDS = RequestFields(
    model=("model_id", "modelId"),
    max_tokens=("max_tokens", "maxTokens"),
    top_p=("top_p", "topP"),
    top_k=(),
    seed=(),
    frequency_penalty=(),
    presence_penalty=(),
    stop_sequences=("stop", "stop_sequences", "stopSequences"),
    choice_count=(),
)

# An explicit ``inferenceConfig`` kwarg is sent as is: its keys, as snake-case call kwargs.
_INFERENCE_CONFIG_KEYS = (
    ("maxTokens", "max_tokens"),
    ("temperature", "temperature"),
    ("topP", "top_p"),
    ("stopSequences", "stop_sequences"),
)


class BedrockConverseMapper(BedrockRuntimeMapper):
    """``ChatBedrockConverse`` (Converse / ConverseStream)."""

    model_classes = ("langchain_aws.ChatBedrockConverse",)
    request_fields = CONVERSE_FIELDS
    finish_reason_keys = ("stopReason",)

    def request_attributes(self, request: ChatRequest) -> Attributes:
        kwargs = request.kwargs
        inference_config = _first_mapping(kwargs, "inference_config", "inferenceConfig")
        if inference_config is not None:
            params = {key: inference_config.get(wire) for wire, key in _INFERENCE_CONFIG_KEYS}
            attributes = extract_request_params(None, params, self.request_fields)
        else:
            attributes = extract_request_params(request.model, kwargs, self.request_fields)
        fields = _merged(
            request.field("additional_model_request_fields"),
            _first_mapping(
                kwargs, "additional_model_request_fields", "additionalModelRequestFields"
            ),
        )
        top_k = as_float(fields.get("top_k", fields.get("topK")))
        if top_k is not None:
            attributes[sc.REQUEST_TOP_K] = top_k
        guardrail = _first_mapping(kwargs, "guardrail_config", "guardrailConfig")
        if guardrail is None:
            guardrail = _as_mapping(request.field("guardrail_config"))
        guardrail_id = (
            first_str(guardrail, ("guardrailIdentifier", "guardrail_identifier"))
            if guardrail is not None
            else None
        )
        if guardrail_id:
            attributes[sc.AWS_BEDROCK_GUARDRAIL_ID] = guardrail_id
        return attributes


def _as_mapping(value: object) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) and value else None


def _first_mapping(kwargs: Mapping[str, Any], *names: str) -> Mapping[str, Any] | None:
    for name in names:
        value = _as_mapping(kwargs.get(name))
        if value is not None:
            return value
    return None


def _merged(*parts: object) -> Mapping[str, Any]:
    merged: dict[str, Any] = {}
    for part in parts:
        if isinstance(part, Mapping):
            merged.update(part)
    return merged
