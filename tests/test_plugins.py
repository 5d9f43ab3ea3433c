"""A third-party package registers a mapper through the ``langchain_otel.providers`` group.

The test builds a tiny wheel, installs it into a temporary directory with pip (offline, from
the file) and runs an app in a subprocess with that directory on its path.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

from langchain_otel import LangChainInstrumentor
from langchain_otel.providers import MapperRegistry
from langchain_otel.providers.openai import OpenAIMapper
from tests.helpers import only_chat_span
from tests.providers.helpers import make_model

PLUGIN_MODULE = """
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from langchain_otel.providers import ChatModelMapper, RequestFields


class ChatAcme(BaseChatModel):
    engine: str = "acme-7"
    heat: float = 0.3

    @property
    def _llm_type(self):
        return "acme"

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        message = AIMessage(
            content="hi",
            response_metadata={"engine_version": "acme-7-0412", "halt": "done", "id": "acme-1"},
            usage_metadata={"input_tokens": 3, "output_tokens": 2, "total_tokens": 5},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])


class AcmeMapper(ChatModelMapper):
    model_classes = ("acme_chat.ChatAcme",)
    provider_name = "acme"
    request_fields = RequestFields(model=("engine",), temperature=("heat",))
    response_model_keys = ("engine_version",)
    finish_reason_keys = ("halt",)

    def base_url(self, model):
        return "https://api.acme.example:8443/v2"
"""

APP = """
import json
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from langchain_otel import LangChainInstrumentor
from acme_chat import ChatAcme

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
LangChainInstrumentor().instrument(tracer_provider=provider)
ChatAcme().invoke("hello")
(span,) = exporter.get_finished_spans()
print(json.dumps({"name": span.name, "attributes": dict(span.attributes)}))
"""


def build_wheel(directory: Path, entry_points: str) -> Path:
    """A minimal, valid wheel for the ``acme-chat`` distribution."""
    dist_info = "acme_chat-1.0.dist-info"
    files = {
        "acme_chat/__init__.py": PLUGIN_MODULE,
        f"{dist_info}/METADATA": "Metadata-Version: 2.1\nName: acme-chat\nVersion: 1.0\n",
        f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
        f"{dist_info}/entry_points.txt": entry_points,
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{name},sha256={digest.decode()},{len(text.encode())}")
    files[f"{dist_info}/RECORD"] = "\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n"
    wheel = directory / "acme_chat-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return wheel


def run_app_with_plugin(tmp_path: Path, entry_points: str) -> subprocess.CompletedProcess[str]:
    wheel = build_wheel(tmp_path, entry_points)
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps",
         "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return subprocess.run(
        [sys.executable, "-c", APP],
        env={"PYTHONPATH": str(site), "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )


def test_plugin_mapper_is_used(tmp_path):
    result = run_app_with_plugin(
        tmp_path, "[langchain_otel.providers]\nacme = acme_chat:AcmeMapper\n"
    )
    span = json.loads(result.stdout)

    assert span["name"] == "chat acme-7"
    assert span["attributes"] == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "acme",
        "gen_ai.request.model": "acme-7",
        "server.address": "api.acme.example",
        "server.port": 8443,
        "gen_ai.request.temperature": 0.3,
        "gen_ai.response.id": "acme-1",
        "gen_ai.response.finish_reasons": ["done"],
        "gen_ai.usage.input_tokens": 3,
        "gen_ai.usage.output_tokens": 2,
        "gen_ai.response.model": "acme-7-0412",
    }


def test_failing_plugin_is_logged_and_skipped(tmp_path):
    result = run_app_with_plugin(
        tmp_path,
        "[langchain_otel.providers]\n"
        "broken = acme_chat.missing:Nothing\n"
        "acme = acme_chat:AcmeMapper\n",
    )
    span = json.loads(result.stdout)

    assert span["attributes"]["gen_ai.provider.name"] == "acme"
    assert "skipping provider plugin 'broken'" in result.stderr


def test_mappers_passed_to_instrument_win_over_built_in_ones(
    fake_server, tracer_provider, span_exporter
):
    class GatewayMapper(OpenAIMapper):
        """E.g. a company gateway in front of OpenAI."""

        provider_name = "acme_gateway"

    model_type = type(make_model(fake_server))
    assert isinstance(MapperRegistry().mapper_for(model_type), OpenAIMapper)
    assert isinstance(MapperRegistry([GatewayMapper()]).mapper_for(model_type), GatewayMapper)

    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, provider_mappers=[GatewayMapper()])
    try:
        make_model(fake_server).invoke("hi")
    finally:
        instrumentor.uninstrument()
    assert only_chat_span(span_exporter).attributes["gen_ai.provider.name"] == "acme_gateway"
