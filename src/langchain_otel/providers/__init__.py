"""Provider mappers and the registry that picks one per chat class.

A mapper is chosen by the model's class (walking its MRO, so subclasses inherit their parent's
mapper; cached per class), then :meth:`ChatModelMapper.resolve` refines it on each call: by the
instance for the few mappers that declare ``refines_per_model`` (one class, several backends),
then by the server host (one OpenAI client, many providers). Classes no mapper claims get
:class:`GenericMapper` (LangChain's ``ls_provider`` and standard metadata). Adding a provider is
one module here plus one line in ``_BUILTIN_MAPPERS``; ``_base.py`` says what a mapper declares
and what it may override.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from importlib.metadata import entry_points

from langchain_otel._per_class import PerClass
from langchain_otel._request import ChatRequest, RequestFields, model_field
from langchain_otel._response import ChatResponse
from langchain_otel._values import Attributes
from langchain_otel.providers._base import ChatModelMapper
from langchain_otel.providers.generic import GenericMapper

__all__ = [
    "Attributes",
    "ChatModelMapper",
    "ChatRequest",
    "ChatResponse",
    "GenericMapper",
    "MapperRegistry",
    "RequestFields",
    "class_key",
    "model_field",
]

_logger = logging.getLogger(__name__)

#: Entry-point group through which other packages register mappers for their chat classes.
PLUGIN_GROUP = "langchain_otel.providers"

# "module:Class" of each built-in mapper, relative to this package. One line per mapper.
_BUILTIN_MAPPERS = (
    "openai:OpenAIMapper",
    "openai:OpenAICompletionMapper",
    "azure:AzureOpenAIMapper",
    "azure:AzureOpenAICompletionMapper",
    "anthropic:AnthropicMapper",
    "bedrock:BedrockMapper",
    "bedrock_converse:BedrockConverseMapper",
    "vertexai:VertexAIMapper",
    "google_genai:GoogleGenAIMapper",
    "google_genai:VertexAIEmbeddingsMapper",
    "mistralai:MistralAIMapper",
    "groq:GroqMapper",
    "together:TogetherMapper",
    "fireworks:FireworksMapper",
    "ollama:OllamaMapper",
    "xai:XAIMapper",
    "deepseek:DeepSeekMapper",
)


def class_key(cls: type) -> str:
    """``"<top-level package>.<class name>"``: stable across a package's internal moves."""
    return f"{cls.__module__.partition('.')[0]}.{cls.__qualname__}"


class _ClassTable:
    """Class key -> mapper for one kind of class, resolved once per class (MRO) and cached."""

    def __init__(self, fallback: ChatModelMapper | None) -> None:
        self.by_key: dict[str, ChatModelMapper] = {}
        self._fallback = fallback
        self._by_type: PerClass[ChatModelMapper | None] = PerClass(self._resolve)

    def mapper_for(self, model_type: type) -> ChatModelMapper | None:
        return self._by_type.get(model_type)

    def _resolve(self, model_type: type) -> ChatModelMapper | None:
        for cls in model_type.__mro__:
            mapper = self.by_key.get(class_key(cls))
            if mapper is not None:
                return mapper
        return self._fallback


class MapperRegistry:
    """Chat, completion and embedding class -> mapper, resolved once per class and cached.

    For the same class, a mapper passed in ``mappers`` (``instrument(provider_mappers=...)``) wins
    over one registered by a plugin package, which wins over the built-in one. Chat and
    completion classes no mapper claims get :class:`GenericMapper`; embedding classes are traced
    only when a mapper names them (their methods are wrapped per class).
    """

    def __init__(self, mappers: Iterable[ChatModelMapper] = ()) -> None:
        self._generic = GenericMapper()
        self._chat = _ClassTable(self._generic)
        self._completion = _ClassTable(self._generic)
        self._embedding = _ClassTable(None)
        for mapper in (*_load_builtin_mappers(), *_load_plugin_mappers(), *mappers):
            self._add(mapper)

    @property
    def mappers(self) -> list[ChatModelMapper]:
        """Every registered mapper, once each."""
        every = (
            *self._chat.by_key.values(),
            *self._completion.by_key.values(),
            *self._embedding.by_key.values(),
        )
        return list({id(mapper): mapper for mapper in every}.values())

    @property
    def embedding_classes(self) -> list[str]:
        """The class keys of every embedding class some mapper serves."""
        return list(self._embedding.by_key)

    def _add(self, mapper: ChatModelMapper) -> None:
        for table, keys in (
            (self._chat, mapper.model_classes),
            (self._completion, mapper.completion_classes),
            (self._embedding, mapper.embedding_classes),
        ):
            for key in keys:
                table.by_key[key] = mapper

    def mapper_for(self, model_type: type) -> ChatModelMapper:
        return self._chat.mapper_for(model_type) or self._generic

    def completion_mapper_for(self, model_type: type) -> ChatModelMapper:
        return self._completion.mapper_for(model_type) or self._generic

    def embedding_mapper_for(self, model_type: type) -> ChatModelMapper | None:
        return self._embedding.mapper_for(model_type)


def _load_plugin_mappers() -> list[ChatModelMapper]:
    """Mappers that installed packages register in the ``langchain_otel.providers`` group.

    An entry point names a :class:`ChatModelMapper` subclass (instantiated with no arguments) or
    an instance. One that fails to load, or is neither, is logged and skipped.
    """
    mappers = []
    for entry_point in entry_points(group=PLUGIN_GROUP):
        try:
            loaded = entry_point.load()
            mapper = loaded() if isinstance(loaded, type) else loaded
            if not isinstance(mapper, ChatModelMapper):
                raise TypeError(f"{entry_point.value} is not a ChatModelMapper")
        except Exception:
            _logger.warning(
                "langchain-otel: skipping provider plugin %r", entry_point.name, exc_info=True
            )
            continue
        mappers.append(mapper)
    return mappers


def _load_builtin_mappers() -> list[ChatModelMapper]:
    """Instantiate the built-in mappers; one that fails to load is logged and skipped."""
    mappers = []
    for spec in _BUILTIN_MAPPERS:
        module_name, _, class_name = spec.partition(":")
        try:
            module = importlib.import_module(f"{__name__}.{module_name}")
            mappers.append(getattr(module, class_name)())
        except Exception:
            _logger.debug("langchain-otel: could not load mapper %s", spec, exc_info=True)
    return mappers
