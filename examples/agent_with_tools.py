r"""A LangGraph ReAct agent with two tools: one trace per run, and no span of your own.

    .venv/bin/opentelemetry-instrument --traces_exporter console --metrics_exporter none \
        --logs_exporter none .venv/bin/python examples/agent_with_tools.py

from the repository root, with the venv ``make demo`` creates. ``--metrics_exporter none``: the
console shows the spans, and the default OTLP metrics exporter would log an error at every export
with no backend listening.

The run is one ``invoke_agent archaeology_assistant`` span. Under it: a ``chat gpt-4o-mini`` span
per model round trip (the first ends with ``gen_ai.response.finish_reasons = ("tool_calls",)``)
and an ``execute_tool find_city`` span for the tool the model asked for, in the order they ran.
Without ``OPENAI_API_KEY`` the calls go to a built-in loopback server that speaks the OpenAI API.
"""

import warnings

from _setup import chat_model
from langchain_core.tools import tool
from langgraph.prebuilt import create_react_agent

# LangGraph 1.x suggests langchain.agents.create_agent instead; both are traced the same way.
warnings.filterwarnings("ignore", message="create_react_agent has been moved")


@tool
def find_city(place: str) -> str:
    """Where an archaeological site is today."""
    return {"Uruk": "near Samawah, Iraq"}.get(place, "unknown")


@tool
def describe_site(place: str) -> str:
    """What an archaeological site is known for."""
    return {"Uruk": "the earliest cuneiform tablets"}.get(place, "unknown")


agent = create_react_agent(
    chat_model(temperature=0), [find_city, describe_site], name="archaeology_assistant"
)
result = agent.invoke(
    {"messages": [("user", "Where is Uruk today? Use the tool.")]},
    {"configurable": {"thread_id": "demo-1"}},  # becomes gen_ai.conversation.id
)
answers = {m.tool_call_id: m.content for m in result["messages"] if m.type == "tool"}
for message in result["messages"]:
    for call in getattr(message, "tool_calls", None) or ():
        print(f"tool {call['name']}({call['args']}) -> {answers[call['id']]}")
print("answer:", result["messages"][-1].content)
