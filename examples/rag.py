r"""Retrieval-augmented generation: embed documents, retrieve for a question, answer.

    .venv/bin/opentelemetry-instrument --traces_exporter console --metrics_exporter none \
        --logs_exporter none .venv/bin/python examples/rag.py

from the repository root, with the venv ``make demo`` creates. ``--metrics_exporter none``: the
console shows the spans, and the default OTLP metrics exporter would log an error at every export
with no backend listening.

One trace under the ``rag`` span: an ``embeddings text-embedding-3-small`` span for indexing the
documents, a ``retrieval`` span whose ``embeddings`` child embeds the question, then a
``chat gpt-4o-mini`` span for the answer. Every provider call is visible, with its latency in
``gen_ai.client.operation.duration`` (``gen_ai.operation.name`` = ``embeddings`` / ``chat``).
Without ``OPENAI_API_KEY`` the calls go to a built-in loopback server that speaks the OpenAI API.
"""

from _setup import chat_model, embeddings_model
from langchain_core.vectorstores import InMemoryVectorStore
from opentelemetry import trace

DOCUMENTS = [
    "Uruk, in southern Mesopotamia, has the earliest cuneiform tablets, around 3200 BC.",
    "Egyptian hieroglyphs appear at Abydos around the same time.",
    "The Indus script of Harappa remains undeciphered.",
]

store = InMemoryVectorStore(embeddings_model())
retriever = store.as_retriever(search_kwargs={"k": 1})
model = chat_model(temperature=0)

with trace.get_tracer("rag-example").start_as_current_span("rag"):
    store.add_texts(DOCUMENTS)
    question = "Where were the earliest cuneiform tablets found?"
    (document,) = retriever.invoke(question)
    answer = model.invoke(f"Context: {document.page_content}\n\nQuestion: {question}")
print("context:", document.page_content)
print("answer:", answer.content)
