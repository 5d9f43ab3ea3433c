"""Retrieval spans: an LCEL RAG chain (InMemoryVectorStore + DeterministicFakeEmbedding) with the
real ChatOpenAI against the loopback fake, a retriever of our own, and a retriever as an agent tool.

A top-level LCEL chain is one ``invoke_workflow`` run (under the caller's span if there is one): its
retrieval and chat spans are its children; its steps (the RunnableParallel, prompt, parser) get no
span.
"""

from __future__ import annotations

import pytest
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnablePassthrough
from langchain_core.tools import create_retriever_tool
from langchain_core.vectorstores import InMemoryVectorStore
from langgraph.prebuilt import create_react_agent
from opentelemetry import trace
from opentelemetry.trace import StatusCode

from tests.helpers import span_tree
from tests.providers.helpers import make_model
from tests.test_agent_spans import CHAT

pytestmark = [
    pytest.mark.usefixtures("instrument"),
    pytest.mark.filterwarnings("ignore:create_react_agent has been moved"),
]

TABLETS = [
    Document("The Uruk tablet lists barley rations.", id="tablet-1"),
    Document("The Kish tablet records a land sale.", id="tablet-2"),
    Document("The Ur tablet is a school exercise.", id="tablet-3"),
]
PROMPT = ChatPromptTemplate.from_messages(
    [("system", "Answer from these notes:\n{context}"), ("human", "{question}")]
)


def store() -> InMemoryVectorStore:
    vectors = InMemoryVectorStore(DeterministicFakeEmbedding(size=16))
    vectors.add_documents(TABLETS)
    return vectors


def rag_chain(server, retriever):
    def notes(documents: list[Document]) -> str:
        return "\n".join(document.page_content for document in documents)

    context = {"context": retriever | notes, "question": RunnablePassthrough()}
    return context | PROMPT | make_model(server) | StrOutputParser()


RETRIEVAL = {
    "gen_ai.operation.name": "retrieval",
    "gen_ai.request.top_k": 2.0,  # a double in the registry
    "langchain_otel.retriever.type": "InMemoryVectorStore",
    "langchain_otel.retrieval.document_count": 2,
}


@pytest.mark.parametrize("style", ["invoke", "ainvoke"])
async def test_rag_chain_is_one_run_under_the_callers_span(
    style, fake_server, tracer_provider, span_exporter
):
    chain = rag_chain(fake_server, store().as_retriever(search_kwargs={"k": 2}))
    tracer = tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("answer-question"):
        if style == "invoke":
            answer = chain.invoke("What does the Uruk tablet say?")
        else:
            answer = await chain.ainvoke("What does the Uruk tablet say?")

    assert answer.startswith("The oldest known cuneiform")
    spans = span_exporter.get_finished_spans()
    # One span for the chain; none for its RunnableParallel, the prompt or the parser.
    run = ("invoke_workflow", "INTERNAL", [("retrieval", "CLIENT", []), CHAT])
    assert span_tree(spans) == [("answer-question", "INTERNAL", [run])]
    (retrieval,) = [s for s in spans if s.name.startswith("retrieval")]
    assert dict(retrieval.attributes) == RETRIEVAL
    assert retrieval.status.status_code is StatusCode.UNSET


def test_without_a_span_of_yours_a_chain_is_one_trace(fake_server, span_exporter):
    rag_chain(fake_server, store().as_retriever(search_kwargs={"k": 2})).invoke("Uruk?")

    spans = span_exporter.get_finished_spans()
    assert span_tree(spans) == [
        ("invoke_workflow", "INTERNAL", [("retrieval", "CLIENT", []), CHAT])
    ]
    assert len({s.context.trace_id for s in spans}) == 1


def test_a_named_retriever_names_its_data_source(span_exporter):
    named = store().as_retriever(search_kwargs={"k": 2}).with_config(run_name="tablet-index")
    documents = named.invoke("barley")

    assert [d.id for d in documents] == [d.id for d in store().similarity_search("barley", k=2)]
    (span,) = span_exporter.get_finished_spans()
    assert span.name == "retrieval tablet-index"
    assert dict(span.attributes) == {**RETRIEVAL, "gen_ai.data_source.id": "tablet-index"}


class KeywordRetriever(BaseRetriever):
    """A retriever of our own: the first ``k`` tablets that mention a word."""

    k: int = 3
    fail: bool = False

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        if self.fail:
            raise ConnectionError("index offline")
        return [d for d in TABLETS if query.lower() in d.page_content.lower()][: self.k]


async def test_a_custom_retriever(span_exporter):
    assert len(KeywordRetriever().invoke("tablet")) == 3
    assert len(await KeywordRetriever(k=1).ainvoke("tablet")) == 1

    first, second = span_exporter.get_finished_spans()
    assert first.name == second.name == "retrieval"  # unnamed: no data source to name it by
    assert dict(first.attributes) == {
        "gen_ai.operation.name": "retrieval",
        "gen_ai.request.top_k": 3.0,
        "langchain_otel.retriever.type": "KeywordRetriever",
        "langchain_otel.retrieval.document_count": 3,
    }
    assert second.attributes["gen_ai.request.top_k"] == 1.0


def test_a_failing_retriever_fails_its_span(span_exporter):
    with pytest.raises(ConnectionError, match="index offline"):
        KeywordRetriever(fail=True).invoke("tablet")

    (span,) = span_exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert dict(span.attributes) == {
        "gen_ai.operation.name": "retrieval",
        "gen_ai.request.top_k": 3.0,
        "langchain_otel.retriever.type": "KeywordRetriever",
        "error.type": "ConnectionError",
    }


def test_a_retriever_as_an_agent_tool_nests_under_the_tool(fake_server, span_exporter):
    search = create_retriever_tool(
        store().as_retriever(search_kwargs={"k": 2}), "search_tablets", "Search tablet notes."
    )
    agent = create_react_agent(make_model(fake_server), [search], name="curator")
    agent.invoke({"messages": [("user", "What does the Uruk tablet say?")]})

    assert span_tree(span_exporter.get_finished_spans()) == [
        (
            "invoke_agent curator",
            "INTERNAL",
            [
                CHAT,
                (
                    "execute_tool search_tablets",
                    "INTERNAL",
                    [("retrieval", "CLIENT", [])],
                ),
                CHAT,
            ],
        )
    ]
    assert trace.get_current_span() is trace.INVALID_SPAN  # nothing left current
