"""OpenAI (``ChatOpenAI``) on Chat Completions and Responses, and the OpenAI-compatible servers.

``ChatOpenAI(base_url=...)`` is how many users reach Together, Groq, Fireworks, Mistral, DeepSeek
or xAI; the response shape is still OpenAI's, but ``gen_ai.provider.name`` follows the host, and
``openai.*`` vendor attributes are set only when the provider is OpenAI itself (semconv: the
provider name and the provider-specific attributes are set consistently).

Which API a call used is read from the answer: a Responses API answer has ``object: "response"``
and a ``status``, a Chat Completions one a ``finish_reason``. Before the answer (and for calls
that fail) the model's own routing decision says it. The Responses API has no finish reason; it
is derived from ``status`` and ``incomplete_details.reason`` in the vocabulary Chat Completions
uses, so one ``ChatOpenAI`` reports the same values whichever API LangChain routed it to:

==========================================  ==================
Response                                    finish reason
==========================================  ==================
``completed``                               ``stop``
``completed`` with function calls           ``tool_calls``
``incomplete``: ``max_output_tokens``       ``length``
``incomplete``: ``content_filter``          ``content_filter``
``incomplete``: another (``max_messages``)  that reason
``incomplete`` without a reason             ``incomplete``
``failed`` / ``cancelled``                  ``error``
``queued`` / ``in_progress`` (background)   none
==========================================  ==================

The semconv ``FinishReason`` enum (``tool_call``, singular) types the finish reason inside
``gen_ai.output.messages``; ``gen_ai.response.finish_reasons`` carries the provider's values, and
the official OpenAI instrumentation reports these same ones for the Responses API. A ``failed``
answer is rarely seen: LangChain raises ``ValueError`` before returning it (an error span).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from langchain_otel import _semconv as sc
from langchain_otel._per_class import PerClass
from langchain_otel._request import ChatRequest, RequestFields
from langchain_otel._response import ChatResponse
from langchain_otel._values import Attributes, as_str
from langchain_otel.providers._base import ChatModelMapper, first_str

OPENAI_FIELDS = RequestFields(
    model=("model", "model_name"),
    max_tokens=("max_completion_tokens", "max_tokens"),
    top_k=(),
)

# ``openai.api.type`` values.
API_CHAT_COMPLETIONS = "chat_completions"
API_RESPONSES = "responses"

_INCOMPLETE_REASONS: Mapping[str, str] = {
    "max_output_tokens": "length",
    "content_filter": "content_filter",
}
_ERROR_STATUSES = frozenset({"failed", "cancelled"})


class OpenAIMapper(ChatModelMapper):
    """``ChatOpenAI``, on Chat Completions or the Responses API."""

    model_classes: ClassVar[tuple[str, ...]] = ("langchain_openai.ChatOpenAI",)
    embedding_classes: ClassVar[tuple[str, ...]] = ("langchain_openai.OpenAIEmbeddings",)
    provider_name = sc.PROVIDER_OPENAI
    client_library = "openai"
    request_fields = OPENAI_FIELDS
    finish_reason_keys = ("finish_reason",)
    base_url_field = "openai_api_base"
    #: Whether ``openai.*`` attributes apply: only when the provider is OpenAI itself.
    openai_attributes: ClassVar[bool] = True

    def for_host(self, host: str) -> ChatModelMapper:
        return _COMPATIBLE_HOSTS.get(host, self)

    def request_attributes(self, request: ChatRequest) -> Attributes:
        attributes = super().request_attributes(request)
        routed = routed_api_type(request)
        if routed == API_RESPONSES:
            # LangChain drops ``stop`` from Responses API requests: the API has no such parameter.
            attributes.pop(sc.REQUEST_STOP_SEQUENCES, None)
        if self.openai_attributes:
            tier = as_str(request.lookup("service_tier"))
            if tier is not None and tier != "auto":
                attributes[sc.OPENAI_REQUEST_SERVICE_TIER] = tier
            if routed is not None:
                attributes[sc.OPENAI_API_TYPE] = routed
        return attributes

    def finish_reasons(self, response: ChatResponse) -> list[str]:
        if api_type(response.metadata) == API_RESPONSES:
            return responses_finish_reasons(response)
        return super().finish_reasons(response)

    def vendor_attributes(self, response: ChatResponse) -> Attributes:
        if not self.openai_attributes:
            return {}
        return openai_vendor_attributes(response.metadata)


class OpenAICompatibleMapper(OpenAIMapper):
    """An OpenAI-shaped API served by another provider: no ``openai.*`` attributes.

    Built with a provider name for a host in the host table; subclasses for a chat class of their
    own (Azure, xAI, DeepSeek ...) set ``provider_name`` and ``model_classes`` instead.
    """

    model_classes: ClassVar[tuple[str, ...]] = ()
    embedding_classes: ClassVar[tuple[str, ...]] = ()
    openai_attributes = False

    def __init__(self, provider_name: str = "") -> None:
        if provider_name:
            self.provider_name = provider_name

    def for_host(self, host: str) -> ChatModelMapper:
        return self


def api_type(metadata: Mapping[str, Any]) -> str | None:
    """The API an answer came from, read from its shape; None when it does not say."""
    if metadata.get("object") == "response":
        return API_RESPONSES
    if "finish_reason" in metadata:  # the Responses API has none
        return API_CHAT_COMPLETIONS
    return None


def routed_api_type(request: ChatRequest) -> str | None:
    """The API LangChain sends this call to, by its own routing rule (``_use_responses_api``).

    ``use_responses_api`` is the model's explicit choice (set by LangChain itself when the model's
    configuration requires the Responses API); left unset, the call's parameters decide, as
    LangChain sends them (call kwargs over ``model_kwargs``).
    """
    explicit = request.field("use_responses_api")
    if isinstance(explicit, bool):
        return API_RESPONSES if explicit else API_CHAT_COMPLETIONS
    model = request.model
    router = getattr(model, "_use_responses_api", None) if _ROUTES.get(type(model)) else None
    if not callable(router):
        return None
    try:
        routed = router(dict(request.sent_kwargs()))  # a copy: the call's kwargs stay untouched
    except Exception:  # private API: a failure only means "unknown"
        return None
    if isinstance(routed, bool):
        return API_RESPONSES if routed else API_CHAT_COMPLETIONS
    return None


#: Whether a class has LangChain's router, a method: asked once per class (a miss on a pydantic
#: class goes through its metaclass's ``__getattr__``, an exception each time).
_ROUTES = PerClass(lambda cls: getattr(cls, "_use_responses_api", None) is not None)


def responses_finish_reasons(response: ChatResponse) -> list[str]:
    """Finish reason of a Responses API answer (see the module docstring)."""
    metadata = response.metadata
    status = metadata.get("status")
    if status == "completed":
        return ["tool_calls" if response.tool_calls else "stop"]
    if status == "incomplete":
        details = metadata.get("incomplete_details")
        reason = details.get("reason") if isinstance(details, Mapping) else None
        if isinstance(reason, str) and reason:
            return [_INCOMPLETE_REASONS.get(reason, reason)]
        return ["incomplete"]
    if status in _ERROR_STATUSES:
        return ["error"]
    return []


def openai_vendor_attributes(metadata: Mapping[str, Any]) -> Attributes:
    attributes: Attributes = {}
    fingerprint = first_str(metadata, ("system_fingerprint",))
    if fingerprint:
        attributes[sc.OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = fingerprint
    tier = first_str(metadata, ("service_tier",))
    if tier:
        attributes[sc.OPENAI_RESPONSE_SERVICE_TIER] = tier
    answered = api_type(metadata)
    if answered is not None:
        attributes[sc.OPENAI_API_TYPE] = answered
    return attributes


_COMPATIBLE_HOSTS: Mapping[str, ChatModelMapper] = {
    host: OpenAICompatibleMapper(provider)
    for host, provider in (
        ("api.together.xyz", sc.PROVIDER_TOGETHER_AI),
        ("api.fireworks.ai", sc.PROVIDER_FIREWORKS_AI),
        ("api.groq.com", sc.PROVIDER_GROQ),
        ("api.mistral.ai", sc.PROVIDER_MISTRAL_AI),
        ("api.deepseek.com", sc.PROVIDER_DEEPSEEK),
        ("api.x.ai", sc.PROVIDER_X_AI),
    )
}


class OpenAICompletionMapper(OpenAIMapper):
    """``langchain_openai.OpenAI`` on the (legacy) Completions API: ChatOpenAI's request fields
    and hosts; of the vendor attributes only the fingerprint applies (``openai.api.type`` has no
    value for this API). LangChain keeps no response id and reports the configured model."""

    model_classes: ClassVar[tuple[str, ...]] = ()
    embedding_classes: ClassVar[tuple[str, ...]] = ()
    completion_classes: ClassVar[tuple[str, ...]] = ("langchain_openai.OpenAI",)

    def vendor_attributes(self, response: ChatResponse) -> Attributes:
        fingerprint = first_str(response.metadata, ("system_fingerprint",))
        return {sc.OPENAI_RESPONSE_SYSTEM_FINGERPRINT: fingerprint} if fingerprint else {}
