"""The mapper interface: what a provider module declares, what it may override, what is fixed.

A mapper turns one chat class's request fields and response metadata into GenAI attributes. The
base class does what is standard across LangChain (``usage_metadata``, ``model_name``,
``finish_reason``/``stop_reason``, the configured base URL); a provider module declares where its
class differs and overrides a hook only where a declaration cannot say it. Mappers are stateless
and never import provider packages: they read LangChain objects only, the model through
:class:`~langchain_otel._request.ChatRequest`'s readers (or :func:`model_field`), never by
``getattr`` of a field (see :func:`model_field` for why).

**Declare** (class attributes; the default in brackets):

==================================  ================================================================
``model_classes``                   chat classes served, ``"<top-level package>.<class name>"`` [()]
``embedding_classes``               embedding classes served, same form [()]
``completion_classes``              completion (``BaseLLM``) classes served, same form [()]
``provider_name``                   ``gen_ai.provider.name`` [""]
``request_fields``                  where the class keeps each request parameter [LangChain's names]
``sends_model_kwargs``              the class sends ``model_kwargs`` with every request [False]
``embedding_model_fields``          kwarg / field names of an embedding model's model [("model",)]
``base_url_field``                  the field holding the configured base URL [None]
``default_base_url``                the SDK's own default endpoint [None]
``response_model_keys``             ``response_metadata`` keys of the served model, by preference
``finish_reason_keys``              ``response_metadata`` keys of the finish reason, by preference
``response_id_key``                 ``response_metadata`` key of the response id ["id"; None: none]
``separate_system_instructions``    the API takes system instructions apart (Anthropic, Gemini)
``client_library``                  the SDK called ("openai", "botocore"), for provider-layer spans
``refines_per_model``               :meth:`~ChatModelMapper.for_model` must be asked [False]
==================================  ================================================================

**Override** only where a declaration cannot say it (each has a working default):

==================================  ================================================================
``for_model(model)``                the mapper for this instance (one class, several backends);
                                    asked only when ``refines_per_model``
``for_host(host)``                  the mapper for the server host (one client, many providers)
``base_url(model)``                 the endpoint, when it is not in ``base_url_field`` or the client
``request_model(request)``          ``gen_ai.request.model``
``request_provider_name(request)``  ``gen_ai.provider.name`` when no ``provider_name`` is declared
``request_attributes(request)``     sampling parameters (recording spans only)
``streams_on_wire(request)``        whether the client streams whatever LangChain asks
``embedding_request_model``         an embedding call's model
``embedding_request_attributes``    an embedding call's dimensions and encoding formats
``completion_usage(metadata)``      a completion answer's token usage
``response_model(response)``        ``gen_ai.response.model``
``finish_reasons(response)``        ``gen_ai.response.finish_reasons``
``usage_attributes(response)``      ``gen_ai.usage.*``
``vendor_attributes(response)``     provider-namespaced extras (``openai.*``, ``groq.*`` ...)
==================================  ================================================================

**Never override** (``typing.final``: mypy flags an override): :meth:`~ChatModelMapper.start`,
:meth:`~ChatModelMapper.embedding_start`, :meth:`~ChatModelMapper.resolve`,
:meth:`~ChatModelMapper.endpoint`, :meth:`~ChatModelMapper.start_attributes`,
:meth:`~ChatModelMapper.response_attributes` and :meth:`~ChatModelMapper.response_id`: they
compose the hooks, and the lifecycle relies on what they return.

Which mapper serves a call is decided in one chain: the registry picks one by the model's class
(its MRO, cached per class), :meth:`~ChatModelMapper.resolve` refines it by the instance
(``for_model``, only for mappers that declare ``refines_per_model``) and then by the endpoint's
host (``for_host``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, final

from langchain_otel import _semconv as sc
from langchain_otel._request import (
    NO_FIELDS,
    ChatRequest,
    RequestFields,
    extract_request_model,
    extract_request_params,
    lookup,
    parse_endpoint,
    with_model_kwargs,
)
from langchain_otel._response import ChatResponse
from langchain_otel._values import (
    Attributes,
    as_count,
    as_int,
    as_str,
    as_str_list,
    exportable_text,
)

# LangChain puts its run id in ``AIMessage.id`` when the provider sets none: not a provider id.
_LANGCHAIN_RUN_ID_PREFIXES = ("lc_run-", "run-")


class ChatModelMapper:
    """Maps one family of chat classes to GenAI attributes (see the module docstring for what a
    subclass declares and overrides).

    Resolution and ``start_attributes`` run on every call, sampled or not, so they stay cheap:
    field reads and a cached URL parse. Everything else runs only for recording spans (metrics
    use ``response_model`` and ``usage_attributes``).
    """

    model_classes: ClassVar[tuple[str, ...]] = ()
    #: Each is wrapped when its package is imported, which must export it under that name.
    embedding_classes: ClassVar[tuple[str, ...]] = ()
    completion_classes: ClassVar[tuple[str, ...]] = ()
    embedding_model_fields: ClassVar[tuple[str, ...]] = ("model",)
    #: An instance may set its own (see ``OpenAICompatibleMapper``).
    provider_name: str = ""
    request_fields: ClassVar[RequestFields] = RequestFields()
    response_model_keys: ClassVar[tuple[str, ...]] = ("model_name", "model")
    finish_reason_keys: ClassVar[tuple[str, ...]] = ("finish_reason", "stop_reason")
    response_id_key: ClassVar[str | None] = "id"
    #: Captured content then reports them as ``gen_ai.system_instructions``.
    separate_system_instructions: ClassVar[bool] = False
    #: A GenAI instrumentation of that SDK may emit an inference span of its own under ours.
    client_library: ClassVar[str | None] = None
    base_url_field: ClassVar[str | None] = None
    default_base_url: ClassVar[str | None] = None
    #: Call kwargs win over ``model_kwargs``, as in every client that keeps one.
    sends_model_kwargs: ClassVar[bool] = False
    #: False for almost every mapper: the class alone decides, and no call pays for asking.
    refines_per_model: ClassVar[bool] = False

    # -- templates (final): compose the hooks below ---------------------------------------------

    @final
    def resolve(self, model: object) -> tuple[ChatModelMapper, tuple[str, int] | None]:
        """The mapper serving this instance, and its endpoint: ``for_model``, then ``for_host``."""
        mapper = self.for_model(model) if self.refines_per_model else self
        endpoint = mapper.endpoint(model)
        if endpoint is not None:
            mapper = mapper.for_host(endpoint[0])
        return mapper, endpoint

    @final
    def start(self, request: ChatRequest) -> tuple[ChatModelMapper, Attributes]:
        """The mapper serving this call and the attributes known before it is made."""
        mapper, endpoint = self.resolve(request.model)
        return mapper, mapper.start_attributes(request, endpoint)

    @final
    def embedding_start(
        self, model: object, kwargs: Mapping[str, Any]
    ) -> tuple[ChatModelMapper, Attributes]:
        """:meth:`start` for an embedding call: the same resolution, cheap."""
        mapper, endpoint = self.resolve(model)
        attributes = _start_attributes(
            sc.OPERATION_EMBEDDINGS,
            mapper.provider_name,
            mapper.embedding_request_model(model, kwargs),
            endpoint,
        )
        return mapper, attributes

    @final
    def endpoint(self, model: object) -> tuple[str, int] | None:
        url = self.base_url(model)
        if url is None:
            return None
        return parse_endpoint(str(url))

    @final
    def start_attributes(
        self, request: ChatRequest, endpoint: tuple[str, int] | None
    ) -> Attributes:
        return _start_attributes(
            sc.OPERATION_CHAT,
            self.provider_name or self.request_provider_name(request),
            self.request_model(request),
            endpoint,
        )

    # -- which mapper serves the call, at which endpoint ----------------------------------------

    def for_model(self, model: object) -> ChatModelMapper:
        """The mapper for this instance, when its class serves several backends."""
        return self

    def for_host(self, host: str) -> ChatModelMapper:
        """The mapper for a server host: OpenAI-compatible clients serve many providers."""
        return self

    def base_url(self, model: object) -> object:
        """The endpoint the client talks to (str, ``httpx.URL`` ...), or None if unknown.

        By default: the ``base_url_field`` the user configured, else the base URL of the SDK
        client the model already built (which has applied the SDK's env vars), else the SDK's
        ``default_base_url``. Never builds a client.
        """
        fields = getattr(model, "__dict__", NO_FIELDS)
        configured = fields.get(self.base_url_field) if self.base_url_field else None
        return (
            configured
            or client_base_url(fields.get("client"))
            or client_base_url(fields.get("async_client"))  # clients built for async use only
            or self.default_base_url
        )

    # -- request side ---------------------------------------------------------------------------

    def request_model(self, request: ChatRequest) -> str | None:
        return extract_request_model(request.model, request.kwargs, self.request_fields)

    def request_provider_name(self, request: ChatRequest) -> str:
        """Asked only when the mapper declares no ``provider_name``: the call says it."""
        return ""

    def request_attributes(self, request: ChatRequest) -> Attributes:
        """Sampling parameters (recording spans only)."""
        kwargs = request.sent_kwargs() if self.sends_model_kwargs else request.kwargs
        return extract_request_params(request.model, kwargs, self.request_fields)

    def streams_on_wire(self, request: ChatRequest) -> bool | None:
        """Whether the client streams this request whatever LangChain asks (a client that always
        streams, or never); None: LangChain decides, and the chunks it reports tell."""
        return None

    # -- embeddings -----------------------------------------------------------------------------

    def embedding_request_model(self, model: object, kwargs: Mapping[str, Any]) -> str | None:
        return as_str(lookup(model, kwargs, self.embedding_model_fields))

    def embedding_request_attributes(self, model: object, kwargs: Mapping[str, Any]) -> Attributes:
        """``dimensions`` and ``encoding_format`` as sent: call kwargs, fields, ``model_kwargs``."""
        merged = with_model_kwargs(model, kwargs)
        attributes: Attributes = {}
        dimensions = as_int(lookup(model, merged, ("dimensions",)))
        if dimensions is not None and dimensions > 0:
            attributes[sc.EMBEDDINGS_DIMENSION_COUNT] = dimensions
        formats = as_str_list(lookup(model, merged, ("encoding_format",)))
        if formats:
            attributes[sc.REQUEST_ENCODING_FORMATS] = formats
        return attributes

    # -- text completion ------------------------------------------------------------------------

    def completion_usage(self, metadata: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """A completion answer's usage as LangChain's ``usage_metadata`` keys, or None.

        ``BaseLLM`` results carry no ``usage_metadata``; OpenAI-style clients put the API's usage
        in ``llm_output["token_usage"]`` (``prompt_tokens``/``completion_tokens``).
        """
        usage = metadata.get("token_usage")
        if not isinstance(usage, Mapping):
            return None
        return {
            "input_tokens": usage.get("prompt_tokens"),
            "output_tokens": usage.get("completion_tokens"),
        }

    # -- response side --------------------------------------------------------------------------

    @final
    def response_attributes(self, response: ChatResponse) -> Attributes:
        """Everything known after the call (recording spans only)."""
        attributes: Attributes = {}
        response_id = self.response_id(response)
        if response_id:
            attributes[sc.RESPONSE_ID] = response_id
        finish_reasons = self.finish_reasons(response)
        if finish_reasons:
            attributes[sc.RESPONSE_FINISH_REASONS] = finish_reasons
        attributes.update(self.usage_attributes(response))
        attributes.update(self.vendor_attributes(response))
        return attributes

    @final
    def response_id(self, response: ChatResponse) -> str | None:
        if self.response_id_key is None:
            return None
        candidate = response.metadata.get(self.response_id_key)
        if isinstance(candidate, str) and is_provider_id(candidate):
            return candidate
        message_id = response.message_id
        return message_id if message_id is not None and is_provider_id(message_id) else None

    def response_model(self, response: ChatResponse) -> str | None:
        return first_str(response.metadata, self.response_model_keys)

    def finish_reasons(self, response: ChatResponse) -> list[str]:
        """One reason per choice, in order (a choice that reports none is left out)."""
        reasons = []
        for choice in response.choice_metadata:
            reason = first_str(choice, self.finish_reason_keys)
            if reason:
                reasons.append(reason)
        return reasons

    def usage_attributes(self, response: ChatResponse) -> Attributes:
        """Token counts from LangChain's standard ``usage_metadata``; nothing invented."""
        return usage_attributes(response.usage)

    def vendor_attributes(self, response: ChatResponse) -> Attributes:
        return {}


def _start_attributes(
    operation: str, provider: object, request_model: object, endpoint: tuple[str, int] | None
) -> Attributes:
    """The attributes known before a call, each as it exports (they are not sanitized again:
    the strings come from the user's configuration, the port from ``urlsplit``, 0-65535)."""
    attributes: Attributes = {sc.OPERATION_NAME: operation}
    provider = exportable_text(provider)
    if provider is not None:
        attributes[sc.PROVIDER_NAME] = provider
    request_model = exportable_text(request_model)
    if request_model is not None:
        attributes[sc.REQUEST_MODEL] = request_model
    if endpoint is not None:
        host = exportable_text(endpoint[0])
        if host is not None:
            attributes[sc.SERVER_ADDRESS] = host
            attributes[sc.SERVER_PORT] = endpoint[1]
    return attributes


def first_str(metadata: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    """The first non-empty string among ``metadata[key]`` for ``keys``."""
    for key in keys:
        value = metadata.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def is_provider_id(value: str) -> bool:
    """True for a non-empty id that is not a LangChain run id."""
    return bool(value) and not value.startswith(_LANGCHAIN_RUN_ID_PREFIXES)


def client_base_url(client: object) -> str | None:
    """Base URL of an already-built client, or None: never builds one.

    Reads ``base_url`` on ``client`` (an httpx client, an SDK client) or on the client it wraps in
    ``_client`` (an SDK resource such as ``Groq().chat.completions``, ``ollama.Client``). Only a
    non-empty ``str`` or ``httpx.URL`` counts, so mocks and half-built clients give None.
    """
    for candidate in (client, getattr(client, "_client", None)):
        url = getattr(candidate, "base_url", None)
        text = url if isinstance(url, str) else str(url) if type(url).__name__ == "URL" else ""
        if text:
            return text
    return None


class _DetailCategories:
    """Token-detail keys of LangChain's usage_metadata -> the attribute they add up to.

    A service tier prefixes them (``priority_cache_read``, ``flex_reasoning``): the prefix is
    stripped. Each key seen is resolved once and remembered (the same few come on every call;
    bounded, so keys made up at run time cannot grow it without end).
    """

    __slots__ = ("_table", "known")

    def __init__(self, table: Mapping[str, str]) -> None:
        self._table = table
        self.known: dict[object, str | None] = {key: value for key, value in table.items()}

    def resolve(self, key: object) -> str | None:
        attribute = self._table.get(key.partition("_")[2]) if isinstance(key, str) else None
        if len(self.known) < 256:
            self.known[key] = attribute
        return attribute


_INPUT_DETAILS = _DetailCategories(
    {
        "cache_read": sc.USAGE_CACHE_READ_INPUT_TOKENS,
        "cache_creation": sc.USAGE_CACHE_CREATION_INPUT_TOKENS,
        # Anthropic's cache TTL split (LangChain then reports cache_creation as 0).
        "ephemeral_5m_input_tokens": sc.USAGE_CACHE_CREATION_INPUT_TOKENS,
        "ephemeral_1h_input_tokens": sc.USAGE_CACHE_CREATION_INPUT_TOKENS,
    }
)
_OUTPUT_DETAILS = _DetailCategories({"reasoning": sc.USAGE_REASONING_OUTPUT_TOKENS})


def add_detail_counts(
    attributes: Attributes, details: object, categories: _DetailCategories
) -> None:
    """Add the token details of ``details`` into ``attributes`` by category, in one pass.

    A category nobody reported stays absent: an unreported count is never turned into 0.
    """
    if type(details) is not dict and not isinstance(details, Mapping):
        return
    known = categories.known
    for key, value in details.items():
        attribute = known.get(key, "")  # "": not seen yet (None: a key of no category)
        if attribute == "":
            attribute = categories.resolve(key)
        if attribute is None:
            continue
        count = as_count(value)
        if count is not None:
            total = attributes.get(attribute, 0)
            attributes[attribute] = total + count if type(total) is int else count


def usage_attributes(usage: Mapping[str, Any] | None) -> Attributes:
    """GenAI usage attributes from a LangChain ``usage_metadata`` dict.

    LangChain already folds cached tokens into ``input_tokens`` (Anthropic's raw count excludes
    them) and reasoning into ``output_tokens``, which is what the spec asks for; nothing is added.
    Anthropic's TTL split moves cache writes to ``ephemeral_5m/1h_input_tokens``: they are summed.
    """
    if not usage:
        return {}
    counts: Attributes = {}
    count = as_count(usage.get("input_tokens"))
    if count is not None:
        counts[sc.USAGE_INPUT_TOKENS] = count
    count = as_count(usage.get("output_tokens"))
    if count is not None:
        counts[sc.USAGE_OUTPUT_TOKENS] = count
    add_detail_counts(counts, usage.get("input_token_details"), _INPUT_DETAILS)
    add_detail_counts(counts, usage.get("output_token_details"), _OUTPUT_DETAILS)
    return counts
