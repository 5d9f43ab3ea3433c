"""Amazon Bedrock Runtime: ``ChatBedrock`` (InvokeModel API) and what both Bedrock classes share.

What langchain-aws exposes for InvokeModel, and so what the span gets:

- the model: only the requested ``model_id`` (as ``model_name``); the served model in the body is
  dropped, so ``gen_ai.response.model`` is the requested id;
- no response id: the only id-like value is the AWS request id, which identifies the HTTP request,
  not the response (and the body's ``msg_bdrk_...`` is dropped);
- the finish reason: ``stop_reason`` (Anthropic models; ``stopReason`` when routed to Converse);
- tokens from the ``x-amzn-bedrock-*-token-count`` headers (invoke) or
  ``amazon-bedrock-invocationMetrics`` (stream); LangChain adds cache reads and writes to
  ``input_tokens`` once, but reports a missing cache count as 0, so cache counts of 0 are left out.

Request parameters are what langchain-aws puts in the body: ``temperature`` and ``max_tokens``
fields win, then call kwargs, then ``model_kwargs`` (whose ``temperature``/``max_tokens`` the
constructor moves to the fields). ``server.address`` is the boto3 client's resolved endpoint.
``aws.bedrock.guardrail.id`` is set when a guardrail is configured.
"""

from __future__ import annotations

from collections.abc import Mapping

from langchain_otel import _semconv as sc
from langchain_otel._request import ChatRequest, RequestFields, extract_request_params, model_field
from langchain_otel._response import ChatResponse
from langchain_otel._values import Attributes, as_str
from langchain_otel.providers._base import ChatModelMapper

# Body keys for the same parameter differ by model family (Anthropic/Mistral, Meta, Amazon Titan).
BEDROCK_FIELDS = RequestFields(
    model=("model_id",),
    max_tokens=("max_tokens", "max_gen_len", "maxTokenCount"),
    top_p=("top_p", "topP"),
    top_k=("top_k", "topK"),
    seed=(),
    frequency_penalty=(),
    presence_penalty=(),
    stop_sequences=("stop", "stop_sequences", "stopSequences"),
    choice_count=(),
)

_CACHE_COUNTS = (sc.USAGE_CACHE_READ_INPUT_TOKENS, sc.USAGE_CACHE_CREATION_INPUT_TOKENS)


class BedrockRuntimeMapper(ChatModelMapper):
    """What the Bedrock Runtime classes share: endpoint, no response id, cache counts."""

    provider_name = sc.PROVIDER_AWS_BEDROCK
    client_library = "botocore"
    separate_system_instructions = True
    response_model_keys = ("model_name", "model_id")
    # The AWS RequestId in ``ResponseMetadata`` names the HTTP request, not the response.
    response_id_key = None

    def base_url(self, model: object) -> object:
        # The boto3 client is built eagerly by the model's validator: reading it creates nothing.
        meta = getattr(model_field(model, "client"), "meta", None)
        return getattr(meta, "endpoint_url", None) or model_field(model, "endpoint_url")

    def usage_attributes(self, response: ChatResponse) -> Attributes:
        attributes = super().usage_attributes(response)
        # langchain-aws turns an absent cache count into 0: a 0 is "not reported", not a count.
        for key in _CACHE_COUNTS:
            if attributes.get(key) == 0:
                del attributes[key]
        return attributes


class BedrockMapper(BedrockRuntimeMapper):
    """``ChatBedrock`` (InvokeModel / InvokeModelWithResponseStream)."""

    model_classes = ("langchain_aws.ChatBedrock",)
    embedding_classes = ("langchain_aws.BedrockEmbeddings",)
    embedding_model_fields = ("model_id",)
    request_fields = BEDROCK_FIELDS
    finish_reason_keys = ("stop_reason", "stopReason")

    def request_model(self, request: ChatRequest) -> str | None:
        # Call kwargs go into the body, never into the modelId: only the field counts.
        return as_str(request.field("model_id"))

    def request_attributes(self, request: ChatRequest) -> Attributes:
        params = dict(request.sent_kwargs())
        for name in ("temperature", "max_tokens"):
            value = request.field(name)
            if value is not None:
                params[name] = value
        attributes = extract_request_params(request.model, params, self.request_fields)
        guardrail_id = invoke_guardrail_id(request.field("guardrails"))
        if guardrail_id is not None:
            attributes[sc.AWS_BEDROCK_GUARDRAIL_ID] = guardrail_id
        return attributes


def invoke_guardrail_id(guardrails: object) -> str | None:
    """The guardrail InvokeModel is sent with: langchain-aws sends one only with a version."""
    if not isinstance(guardrails, Mapping):
        return None
    identifier = guardrails.get("guardrailIdentifier")
    if isinstance(identifier, str) and identifier and guardrails.get("guardrailVersion"):
        return identifier
    return None
