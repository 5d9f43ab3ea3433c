"""A tool-calling loop: the model asks for a tool, we run it, the model answers.

    opentelemetry-instrument --traces_exporter console python examples/agent_with_tools.py

Each round trip to the model is one ``chat gpt-4o-mini`` span, all under the ``agent-run`` span;
the first ends with ``gen_ai.response.finish_reasons = ("tool_calls",)``. Without
``OPENAI_API_KEY`` the calls go to a built-in loopback server that speaks the OpenAI API.
"""

from _setup import chat_model
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import tool
from opentelemetry import trace

tracer = trace.get_tracer("examples.agent_with_tools")


@tool
def find_city(place: str) -> str:
    """Where an archaeological site is today."""
    return {"Uruk": "near Samawah, Iraq"}.get(place, "unknown")


TOOLS = {"find_city": find_city}
model = chat_model(temperature=0).bind_tools(list(TOOLS.values()))

with tracer.start_as_current_span("agent-run"):
    messages = [HumanMessage("Where is Uruk today? Use the tool.")]
    for _step in range(5):
        reply = model.invoke(messages)
        messages.append(reply)
        if not reply.tool_calls:
            break
        for call in reply.tool_calls:
            result = TOOLS[call["name"]].invoke(call["args"])
            print(f"tool {call['name']}({call['args']}) -> {result}")
            messages.append(ToolMessage(result, tool_call_id=call["id"]))
    print("answer:", reply.content)
