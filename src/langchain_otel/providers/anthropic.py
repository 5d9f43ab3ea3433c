"""Anthropic Messages API (``ChatAnthropic``).

What langchain-anthropic exposes, and so what the span gets:

- invoke: ``response_metadata`` is the ``Message`` minus its content: ``id`` (``msg_...``), the
  served ``model`` (also as ``model_name``), ``stop_reason``; usage is already normalized
  (``input_tokens`` includes cache reads and writes; the TTL split of cache writes is handled by
  the generic :func:`~langchain_otel.providers._base.usage_attributes`).
- stream: ``model_name`` from ``message_start``, ``stop_reason`` and cumulative usage from
  ``message_delta``; the message id is dropped by LangChain, so there is no response id. Streams
  that carry the input count only in ``message_start`` (the 2024 wire format) leave
  langchain-anthropic reporting ``input_tokens = 0``: Anthropic never bills zero input tokens, so
  a 0 is reported as unknown.

Request parameters are the payload LangChain builds: call kwargs, then ``model_kwargs``, then the
model's fields. ``server.address`` comes from the always-resolved ``anthropic_api_url`` field; the
lazily created ``_client`` is never touched.

langchain-aws's ``ChatAnthropicBedrock`` and ``ChatAnthropicMantle`` subclass ``ChatAnthropic`` but
reach Claude through Bedrock (their ``anthropic_api_url`` still says ``api.anthropic.com``): they
are told apart by ``_llm_type``, as langchain-anthropic itself does, and reported as
``aws.bedrock`` with the endpoint their SDK client resolves (see ``AnthropicOnBedrockMapper``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from langchain_otel import _semconv as sc
from langchain_otel._request import RequestFields, model_field
from langchain_otel._response import ChatResponse
from langchain_otel._values import Attributes, as_str
from langchain_otel.providers._base import ChatModelMapper

ANTHROPIC_FIELDS = RequestFields(
    model=("model",),
    max_tokens=("max_tokens",),
    seed=(),
    frequency_penalty=(),
    presence_penalty=(),
    stop_sequences=("stop", "stop_sequences"),
    choice_count=(),
)

DEFAULT_BASE_URL = "https://api.anthropic.com"


class AnthropicMapper(ChatModelMapper):
    """``ChatAnthropic`` (and subclasses) on the Anthropic Messages API."""

    model_classes = ("langchain_anthropic.ChatAnthropic",)
    provider_name = sc.PROVIDER_ANTHROPIC
    client_library = "anthropic"
    separate_system_instructions = True
    request_fields = ANTHROPIC_FIELDS
    finish_reason_keys = ("stop_reason",)
    sends_model_kwargs = True
    # Resolved by a validator (explicit, env, gateway, else the default): a plain field read.
    base_url_field = "anthropic_api_url"
    default_base_url = DEFAULT_BASE_URL
    refines_per_model = True

    def for_model(self, model: object) -> ChatModelMapper:
        """Claude on Bedrock through a subclass, told apart as langchain-anthropic does."""
        llm_type = getattr(model, "_llm_type", None)  # a property of the class: cheap, no client
        return _VIA_BEDROCK.get(llm_type, self) if isinstance(llm_type, str) else self

    def usage_attributes(self, response: ChatResponse) -> Attributes:
        attributes = super().usage_attributes(response)
        # Every Messages request bills input tokens: a 0 is one the client never received
        # (2024 streams send the count only in ``message_start``, which some clients ignore).
        if attributes.get(sc.USAGE_INPUT_TOKENS) == 0:
            del attributes[sc.USAGE_INPUT_TOKENS]
        return attributes


class AnthropicOnBedrockMapper(AnthropicMapper):
    """Claude on Bedrock through langchain-aws's ``ChatAnthropic`` subclasses (same wire shape).

    The endpoint is resolved the way their ``anthropic`` SDK clients do it: a base URL (the field,
    for Mantle only, unless it is the Anthropic default), else the SDK's base-URL variable, else
    the regional URL (``region_name``, else ``AWS_REGION`` / ``AWS_DEFAULT_REGION``); a region
    only in the AWS config files stays unknown.
    """

    provider_name = sc.PROVIDER_AWS_BEDROCK

    def __init__(self, url_template: str, base_url_env: str, honours_field: bool) -> None:
        self._url_template = url_template
        self._base_url_env = base_url_env
        self._honours_field = honours_field

    def base_url(self, model: object) -> object:
        configured = as_str(model_field(model, "anthropic_api_url"))
        if self._honours_field and configured and "api.anthropic.com" not in configured:
            return configured
        from_env = os.environ.get(self._base_url_env)
        if from_env:
            return from_env
        region = (
            model_field(model, "region_name")
            or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION")
        )
        return self._url_template.format(region=region) if isinstance(region, str) else None


# ``_llm_type`` of the ChatAnthropic subclasses that do not call api.anthropic.com.
_VIA_BEDROCK: Mapping[str, ChatModelMapper] = {
    # ChatAnthropicBedrock (AnthropicBedrock client): InvokeModel with the Messages body.
    "anthropic-bedrock-chat": AnthropicOnBedrockMapper(
        "https://bedrock-runtime.{region}.amazonaws.com",
        "ANTHROPIC_BEDROCK_BASE_URL",
        honours_field=False,
    ),
    # ChatAnthropicMantle (AnthropicBedrockMantle client): the Messages API on Bedrock Mantle.
    "anthropic-mantle-chat": AnthropicOnBedrockMapper(
        "https://bedrock-mantle.{region}.api.aws/anthropic",
        "ANTHROPIC_BEDROCK_MANTLE_BASE_URL",
        honours_field=True,
    ),
}
