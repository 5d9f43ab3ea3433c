"""GenAI semantic-convention names used by this package, spelled once.

The registry of ``semantic-conventions-genai`` is the truth: ``tests/semconv/registry.json`` is a
generated snapshot of it (with the commit it came from), and ``tests/test_semconv_registry.py``
checks every span, event and metric we emit against it. Local constants rather than
``opentelemetry.semconv._incubating``: that module marks every ``gen_ai`` name as moved and is
private API.
"""

from __future__ import annotations

from typing import Final

# The schema URL of the registry version we follow (its manifest's ``schema_url``: the GenAI
# registry has no release yet, so a development version): the tracer, meter and event logger carry
# it as their scope's schema_url. tests/test_semconv_registry.py checks it against the snapshot.
SCHEMA_URL: Final = "https://opentelemetry.io/schemas/gen-ai-dev/1.42.0-dev"

# Span and metric attributes.
OPERATION_NAME: Final = "gen_ai.operation.name"
PROVIDER_NAME: Final = "gen_ai.provider.name"
REQUEST_MODEL: Final = "gen_ai.request.model"
REQUEST_TEMPERATURE: Final = "gen_ai.request.temperature"
REQUEST_MAX_TOKENS: Final = "gen_ai.request.max_tokens"
REQUEST_TOP_P: Final = "gen_ai.request.top_p"
REQUEST_TOP_K: Final = "gen_ai.request.top_k"
REQUEST_STOP_SEQUENCES: Final = "gen_ai.request.stop_sequences"
REQUEST_SEED: Final = "gen_ai.request.seed"
REQUEST_FREQUENCY_PENALTY: Final = "gen_ai.request.frequency_penalty"
REQUEST_PRESENCE_PENALTY: Final = "gen_ai.request.presence_penalty"
REQUEST_CHOICE_COUNT: Final = "gen_ai.request.choice.count"
REQUEST_STREAM: Final = "gen_ai.request.stream"
RESPONSE_MODEL: Final = "gen_ai.response.model"
EMBEDDINGS_DIMENSION_COUNT: Final = "gen_ai.embeddings.dimension.count"
REQUEST_ENCODING_FORMATS: Final = "gen_ai.request.encoding_formats"
RESPONSE_ID: Final = "gen_ai.response.id"
RESPONSE_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
RESPONSE_TIME_TO_FIRST_CHUNK: Final = "gen_ai.response.time_to_first_chunk"
USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
USAGE_CACHE_READ_INPUT_TOKENS: Final = "gen_ai.usage.cache_read.input_tokens"
USAGE_CACHE_CREATION_INPUT_TOKENS: Final = "gen_ai.usage.cache_creation.input_tokens"
USAGE_REASONING_OUTPUT_TOKENS: Final = "gen_ai.usage.reasoning.output_tokens"
TOKEN_TYPE: Final = "gen_ai.token.type"
INPUT_MESSAGES: Final = "gen_ai.input.messages"
OUTPUT_MESSAGES: Final = "gen_ai.output.messages"
SYSTEM_INSTRUCTIONS: Final = "gen_ai.system_instructions"
TOOL_DEFINITIONS: Final = "gen_ai.tool.definitions"
CONVERSATION_ID: Final = "gen_ai.conversation.id"
SERVER_ADDRESS: Final = "server.address"
SERVER_PORT: Final = "server.port"
ERROR_TYPE: Final = "error.type"

# Agents, workflows, tools and retrieval (semantic-conventions-genai gen-ai-agent-spans.md,
# gen-ai-spans.md "Execute tool span" and "Retrievals").
AGENT_NAME: Final = "gen_ai.agent.name"
AGENT_ID: Final = "gen_ai.agent.id"
AGENT_DESCRIPTION: Final = "gen_ai.agent.description"
WORKFLOW_NAME: Final = "gen_ai.workflow.name"
TOOL_NAME: Final = "gen_ai.tool.name"
TOOL_TYPE: Final = "gen_ai.tool.type"
TOOL_DESCRIPTION: Final = "gen_ai.tool.description"
TOOL_CALL_ID: Final = "gen_ai.tool.call.id"
TOOL_CALL_ARGUMENTS: Final = "gen_ai.tool.call.arguments"
TOOL_CALL_RESULT: Final = "gen_ai.tool.call.result"
DATA_SOURCE_ID: Final = "gen_ai.data_source.id"
RETRIEVAL_QUERY_TEXT: Final = "gen_ai.retrieval.query.text"
RETRIEVAL_DOCUMENTS: Final = "gen_ai.retrieval.documents"
# Ours (no convention counts returned documents): how many documents the retriever returned.
RETRIEVAL_DOCUMENT_COUNT: Final = "langchain_otel.retrieval.document_count"
# Ours: what an unnamed retriever is (the vector store's class, else the retriever's): the
# conventions name its span ``retrieval``, with no data source.
RETRIEVER_TYPE: Final = "langchain_otel.retriever.type"

# Prompts (semantic-conventions-genai registry: gen_ai.prompt.name). The registry defines no
# version or variables attribute yet: ours, until it does.
PROMPT_NAME: Final = "gen_ai.prompt.name"
PROMPT_VERSION: Final = "langchain_otel.prompt.version"
PROMPT_VARIABLE_PREFIX: Final = "langchain_otel.prompt.variable."

# Ours: the LangGraph node whose code made the call (its metadata's ``langgraph_node``).
LANGGRAPH_NODE: Final = "langchain_otel.langgraph.node"

# Ours: chunks a stream delivered before it failed or the consumer stopped (partial streams only).
STREAM_CHUNK_COUNT: Final = "langchain_otel.stream.chunk_count"
# Ours: LangChain's LLM cache answered, so no provider request was made (set only when true).
CACHE_HIT: Final = "langchain_otel.cache.hit"

# OpenAI vendor attributes (semantic-conventions-genai docs/gen-ai/openai.md).
OPENAI_REQUEST_SERVICE_TIER: Final = "openai.request.service_tier"
OPENAI_RESPONSE_SERVICE_TIER: Final = "openai.response.service_tier"
OPENAI_RESPONSE_SYSTEM_FINGERPRINT: Final = "openai.response.system_fingerprint"
OPENAI_API_TYPE: Final = "openai.api.type"

# Groq vendor attributes (ours; no semconv yet): Groq's server-side timings from the response's
# ``usage``, in seconds (double). Span only (unbounded values: never metric attributes), and only
# for non-streaming calls: langchain-groq drops them from streamed usage.
GROQ_USAGE_QUEUE_TIME: Final = "groq.usage.queue_time"
GROQ_USAGE_PROMPT_TIME: Final = "groq.usage.prompt_time"
GROQ_USAGE_COMPLETION_TIME: Final = "groq.usage.completion_time"
GROQ_USAGE_TOTAL_TIME: Final = "groq.usage.total_time"

# Fireworks vendor attribute (ours): the service tier the server reports it used.
FIREWORKS_RESPONSE_SERVICE_TIER: Final = "fireworks.response.service_tier"

# AWS Bedrock vendor attributes (semantic-conventions-genai docs/gen-ai/aws-bedrock.md).
AWS_BEDROCK_GUARDRAIL_ID: Final = "aws.bedrock.guardrail.id"

# Google vendor attributes (no semconv exists; named after the provider, as semconv vendors are).
GCP_VERTEX_AI_SAFETY_BLOCKED: Final = "gcp.vertex_ai.response.safety.blocked"
GCP_VERTEX_AI_SAFETY_BLOCKED_CATEGORIES: Final = "gcp.vertex_ai.response.safety.blocked_categories"
GCP_GEMINI_SAFETY_BLOCKED_CATEGORIES: Final = "gcp.gemini.response.safety.blocked_categories"

# Values.
OPERATION_CHAT: Final = "chat"
OPERATION_INVOKE_AGENT: Final = "invoke_agent"
OPERATION_INVOKE_WORKFLOW: Final = "invoke_workflow"
OPERATION_EXECUTE_TOOL: Final = "execute_tool"
OPERATION_RETRIEVAL: Final = "retrieval"
OPERATION_EMBEDDINGS: Final = "embeddings"
OPERATION_TEXT_COMPLETION: Final = "text_completion"
TOOL_TYPE_FUNCTION: Final = "function"
TOKEN_TYPE_INPUT: Final = "input"
TOKEN_TYPE_OUTPUT: Final = "output"

# Metrics (v1.41 names, as util-genai 1.3b0 and the official instrumentations emit them).
METRIC_OPERATION_DURATION: Final = "gen_ai.client.operation.duration"
METRIC_TOKEN_USAGE: Final = "gen_ai.client.token.usage"
METRIC_TIME_TO_FIRST_CHUNK: Final = "gen_ai.client.operation.time_to_first_chunk"
METRIC_TIME_PER_OUTPUT_CHUNK: Final = "gen_ai.client.operation.time_per_output_chunk"

DURATION_BUCKETS: Final = (
    0.01,
    0.02,
    0.04,
    0.08,
    0.16,
    0.32,
    0.64,
    1.28,
    2.56,
    5.12,
    10.24,
    20.48,
    40.96,
    81.92,
)
TOKEN_BUCKETS: Final = (
    1,
    4,
    16,
    64,
    256,
    1024,
    4096,
    16384,
    65536,
    262144,
    1048576,
    4194304,
    16777216,
    67108864,
)

# Well-known gen_ai.provider.name values.
PROVIDER_OPENAI: Final = "openai"
PROVIDER_AZURE_OPENAI: Final = "azure.ai.openai"
PROVIDER_ANTHROPIC: Final = "anthropic"
PROVIDER_AWS_BEDROCK: Final = "aws.bedrock"
PROVIDER_GCP_VERTEX_AI: Final = "gcp.vertex_ai"
PROVIDER_GCP_GEMINI: Final = "gcp.gemini"
PROVIDER_MISTRAL_AI: Final = "mistral_ai"
PROVIDER_GROQ: Final = "groq"
PROVIDER_DEEPSEEK: Final = "deepseek"
PROVIDER_X_AI: Final = "x_ai"
PROVIDER_COHERE: Final = "cohere"
PROVIDER_PERPLEXITY: Final = "perplexity"
PROVIDER_IBM_WATSONX: Final = "ibm.watsonx.ai"
# No well-known value exists for these; the spec allows a custom one.
PROVIDER_TOGETHER_AI: Final = "together_ai"
PROVIDER_FIREWORKS_AI: Final = "fireworks_ai"
PROVIDER_OLLAMA: Final = "ollama"
