"""The README's configuration table, redaction example, in-code setup and provider example do what
they say."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from langchain_otel import ChatContent, config, providers
from langchain_otel._semconv import SCHEMA_URL
from langchain_otel.providers import ChatRequest
from tests.otlp_receiver import OtlpReceiver
from tests.semconv.conformance import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_every_env_var_we_read_is_in_the_configuration_table():
    ours = {
        value
        for name, value in vars(config).items()
        if name.endswith("_ENV") and isinstance(value, str)
    }
    table = README[README.index("## Configuration") : README.index("## The span")]
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", table, flags=re.MULTILINE))

    assert ours <= documented
    assert documented - ours == {"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"}  # read by the launcher


def test_documented_defaults_and_arguments_match_the_settings():
    table = README[README.index("## Configuration") : README.index("## The span")]
    rows = re.findall(r"^\| `([A-Z_]+)` \| `?(\w*)`? \| `?([\w]*)`? \|", table, flags=re.MULTILINE)
    defaults = config.Settings()
    for variable, argument, default in rows:
        if not argument:
            continue
        value = getattr(defaults, argument)
        shown = value.value if hasattr(value, "value") else value
        assert str(shown).lower() == default.lower(), variable


def test_the_registry_commit_and_schema_url_are_the_ones_we_follow():
    source = REGISTRY["source"]
    assert f"`{SCHEMA_URL}`" in README
    assert f"`{source['commit'][:7]}`" in README


def test_the_redaction_example_works():
    snippet = re.search(r"```python\n(import re\n.*?)```", README, flags=re.DOTALL).group(1)
    snippet = snippet.replace("LangChainInstrumentor().instrument(", "dict(")  # no global effect
    namespace: dict = {}
    exec(snippet, namespace)  # the README's own code

    content = ChatContent(
        input_messages=[{"role": "user", "parts": [{"type": "text", "content": "mail a@b.io"}]}],
        output_messages=[{"role": "assistant", "parts": [{"type": "text", "content": "ok"}]}],
    )
    redacted = namespace["redact"](content)
    assert redacted.input_messages[0]["parts"][0]["content"] == "mail <email>"


APP = """
import os
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI


@tool(description="Where an archaeological site is today.")
def find_city(place: str) -> str:
    return "near Samawah, Iraq"


ChatOpenAI(model="gpt-4o-mini", base_url=os.environ["FAKE_OPENAI_URL"], api_key="sk-x").invoke("hi")
find_city.invoke({"place": "Uruk"})
"""


def test_the_in_code_setup_runs_and_exports_over_otlp(fake_server, tmp_path):
    snippet = re.search(
        r"```python\n(from opentelemetry import metrics, trace\n.*?)```", README, flags=re.DOTALL
    ).group(1)
    assert "# ... your LangChain / LangGraph code ..." in snippet
    (tmp_path / "app.py").write_text(
        snippet.replace("# ... your LangChain / LangGraph code ...", APP.replace('\\\\"', '"'))
    )
    receiver = OtlpReceiver().start()
    try:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        environment.update(
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.grpc_endpoint,
            FAKE_OPENAI_URL=f"{fake_server.url}/v1",
        )
        result = subprocess.run(
            [sys.executable, str(tmp_path / "app.py")],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        spans = receiver.spans()
        metrics = receiver.metrics_by_name()
    finally:
        receiver.stop()

    assert sorted(s.name for s in spans) == ["chat gpt-4o-mini", "execute_tool find_city"]
    assert {s.resource["service.name"] for s in spans} == {"my-llm-app"}
    assert "gen_ai.client.operation.duration" in metrics


def test_the_adding_a_provider_example_is_a_working_mapper():
    section = README[README.index("## Adding a provider") : README.index("## Metrics")]
    module, registry = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)[:2]
    namespace: dict = {}
    exec(module, namespace)  # the README's own code
    mapper = namespace["AcmeMapper"]()

    configured = SimpleNamespace(model="acme-7", base_url="https://acme.internal:8443/v2")
    _, attributes = mapper.start(ChatRequest(configured, {"max_output_tokens": 64}))
    assert attributes == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "acme",
        "gen_ai.request.model": "acme-7",
        "server.address": "acme.internal",
        "server.port": 8443,
    }
    assert mapper.request_attributes(ChatRequest(configured, {"max_output_tokens": 64})) == {
        "gen_ai.request.max_tokens": 64
    }
    _, attributes = mapper.start(ChatRequest(SimpleNamespace(model="acme-7"), {}))
    assert (attributes["server.address"], attributes["server.port"]) == ("api.acme.example", 443)
    assert "_BUILTIN_MAPPERS = (" in registry
    assert isinstance(providers._BUILTIN_MAPPERS, tuple)
