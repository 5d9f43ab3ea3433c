"""The Grafana dashboard's PromQL refers to series the instrumentation really produces.

Real metrics come from instrumented ``ChatOpenAI`` calls against a loopback fake (two models, a
stream, an HTTP 429 and a refused connection), exported through opentelemetry-exporter-prometheus.
That exporter follows the same OpenTelemetry-to-Prometheus naming rules as the Collector's
``prometheus`` exporter the Grafana setup uses (dots -> underscores, unit suffix ``_seconds``,
``{token}`` dropped, ``_bucket``/``_sum``/``_count``): its output is what Prometheus scrapes there.

Every ``expr`` in the dashboard is parsed (a small PromQL parser below) and checked: each metric
selector matches existing series, every label it matches on or groups by is carried by those
series, ``rate`` only reads counters, ``histogram_quantile`` keeps ``le``, and every
``{{label}}`` in a legend is a label the query returns. When the ``prometheus`` server is
installed, a real one, started with the Grafana setup's Prometheus flags, scrapes the same
metrics and evaluates every query (non-empty, finite); and, scraping them in OpenMetrics with the
chat spans' ids as exemplars (what the Collector's exporter serves with ``enable_open_metrics``),
returns those exemplars for every target that asks for them, under the label Grafana links to
Tempo, and none without its exemplar storage.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from langchain_openai import ChatOpenAI
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics import exposition as openmetrics
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector
from prometheus_client.samples import Exemplar

from langchain_otel import LangChainInstrumentor
from tests.fakes import openai as fake_openai
from tests.fakes.server import FakeServer

GRAFANA_SETUP = Path(__file__).resolve().parent.parent / "examples/grafana"
DASHBOARD = GRAFANA_SETUP / "grafana/dashboards/langchain-genai.json"
# What Grafana puts in place of its interval variables before sending a query.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "30m"}

# ------------------------------------------------------------------------------------------------
# A PromQL parser for the subset dashboards use: selectors with matchers, range selectors,
# function calls, aggregations with by/without, binary operators with on/ignoring/group_*.
# ------------------------------------------------------------------------------------------------

AGGREGATIONS = {
    "sum", "avg", "min", "max", "count", "group", "stddev", "stdvar", "topk", "bottomk",
    "quantile", "count_values",
}  # fmt: skip
RANGE_FUNCTIONS = {"rate", "irate", "increase", "delta", "idelta", "deriv"}
COUNTER_SUFFIXES = ("_total", "_count", "_sum", "_bucket")
BINARY_OPS = {"+", "-", "*", "/", "%", "^", "==", "!=", "<", ">", "<=", ">="}
SET_OPS = {"and", "or", "unless"}
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<range>\[[^\]]*\])
    | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
    | (?P<op>=~|!~|==|!=|<=|>=|[-+*/%^=<>(){},])
    )""",
    re.VERBOSE,
)


@dataclass
class Matcher:
    label: str
    op: str  # = != =~ !~
    value: str

    def accepts(self, labels: dict[str, str]) -> bool:
        actual = labels.get(self.label, "")  # a missing label is an empty one
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        matched = re.fullmatch(self.value, actual) is not None
        return matched if self.op == "=~" else not matched


@dataclass
class Selector:
    name: str
    matchers: list[Matcher]
    range: str | None = None


@dataclass
class Number:
    value: float


@dataclass
class Call:
    function: str
    args: list[Any]


@dataclass
class Aggregation:
    op: str
    expr: Any
    params: list[Any]
    grouping: list[str] | None  # labels of by (...); None without a by clause
    without: bool = False


@dataclass
class Binary:
    op: str
    left: Any
    right: Any
    on: list[str] | None = None
    ignoring: list[str] | None = None
    group: str | None = None
    group_labels: list[str] = field(default_factory=list)


class PromQLError(ValueError):
    pass


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise PromQLError(f"cannot read {text[position:]!r}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        index = self.index + offset
        return self.tokens[index] if index < len(self.tokens) else ("end", "")

    def take(self, value: str | None = None, kind: str | None = None) -> str:
        token_kind, token = self.peek()
        if (value is not None and token != value) or (kind is not None and token_kind != kind):
            raise PromQLError(f"expected {value or kind}, got {token!r}")
        self.index += 1
        return token

    def parse(self) -> Any:
        node = self.expression()
        if self.peek()[0] != "end":
            raise PromQLError(f"unexpected {self.peek()[1]!r}")
        return node

    def labels(self) -> list[str]:
        self.take("(")
        names = []
        while self.peek()[1] != ")":
            names.append(self.take(kind="ident"))
            if self.peek()[1] == ",":
                self.take(",")
        self.take(")")
        return names

    def expression(self) -> Any:
        # Precedence does not matter for what the checks need: selectors, groupings, labels.
        left = self.unary()
        while self.peek()[1] in BINARY_OPS | SET_OPS:
            node = Binary(self.take(), left, None)
            if self.peek()[1] == "bool":
                self.take()
            if self.peek()[1] in ("on", "ignoring"):
                setattr(node, self.take(), self.labels())
            if self.peek()[1] in ("group_left", "group_right"):
                node.group = self.take()
                if self.peek()[1] == "(":
                    node.group_labels = self.labels()
            node.right = self.unary()
            left = node
        return left

    def unary(self) -> Any:
        if self.peek()[1] in ("-", "+"):
            sign = self.take()
            operand = self.unary()
            return Binary("*", Number(-1.0 if sign == "-" else 1.0), operand)
        node = self.primary()
        if self.peek()[0] == "range":
            if not isinstance(node, Selector):
                raise PromQLError("subqueries are not supported")
            node.range = self.take()[1:-1]
        return node

    def primary(self) -> Any:
        kind, token = self.peek()
        if kind == "number":
            self.take()
            return Number(float(token))
        if kind == "string":
            raise PromQLError("string literals are not supported")
        if token == "(":
            self.take("(")
            node = self.expression()
            self.take(")")
            return node
        if token == "{":
            return Selector("", self.matchers())
        if kind != "ident":
            raise PromQLError(f"unexpected {token!r}")
        self.take()
        if token in AGGREGATIONS:
            return self.aggregation(token)
        if self.peek()[1] == "(":
            return Call(token, self.arguments())
        return Selector(token, self.matchers() if self.peek()[1] == "{" else [])

    def aggregation(self, op: str) -> Aggregation:
        grouping, without = None, False
        if self.peek()[1] in ("by", "without"):
            without = self.take() == "without"
            grouping = self.labels()
        args = self.arguments()
        if self.peek()[1] in ("by", "without"):
            without = self.take() == "without"
            grouping = self.labels()
        return Aggregation(op, args[-1], args[:-1], grouping, without)

    def arguments(self) -> list[Any]:
        self.take("(")
        args = []
        while self.peek()[1] != ")":
            args.append(self.expression())
            if self.peek()[1] == ",":
                self.take(",")
        self.take(")")
        return args

    def matchers(self) -> list[Matcher]:
        self.take("{")
        found = []
        while self.peek()[1] != "}":
            label = self.take(kind="ident")
            op = self.take()
            if op not in ("=", "!=", "=~", "!~"):
                raise PromQLError(f"bad matcher operator {op!r}")
            value = self.take(kind="string")
            found.append(Matcher(label, op, json.loads(value) if value[0] == '"' else value[1:-1]))
            if self.peek()[1] == ",":
                self.take(",")
        self.take("}")
        return found


def parse(expression: str) -> Any:
    for variable, value in GRAFANA_VARIABLES.items():
        expression = expression.replace(variable, value)
    if "$" in expression:
        raise PromQLError(f"unknown Grafana variable in {expression!r}")
    return Parser(expression).parse()


# ------------------------------------------------------------------------------------------------
# Checking a parsed expression against the series an exposition holds.
# ------------------------------------------------------------------------------------------------

Series = dict[str, list[dict[str, str]]]  # sample name -> label sets
SCALAR = frozenset({"<scalar>"})


def series_of(exposition: str) -> Series:
    found: Series = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            found.setdefault(sample.name, []).append(dict(sample.labels))
    return found


def selectors(node: Any) -> list[Selector]:
    if isinstance(node, Selector):
        return [node]
    if isinstance(node, Call):
        return [s for arg in node.args for s in selectors(arg)]
    if isinstance(node, Aggregation):
        return selectors(node.expr) + [s for p in node.params for s in selectors(p)]
    if isinstance(node, Binary):
        return selectors(node.left) + selectors(node.right)
    return []


def matching(selector: Selector, series: Series) -> list[dict[str, str]]:
    return [
        labels
        for labels in series.get(selector.name, [])
        if all(m.accepts(labels) for m in selector.matchers)
    ]


def check(node: Any, series: Series) -> frozenset[str] | None:
    """Raise PromQLError on a wrong reference; return the labels the result carries
    (``SCALAR`` for a scalar, None for "whatever the selected series carry")."""
    if isinstance(node, Number):
        return SCALAR
    if isinstance(node, Selector):
        if node.range is not None:
            raise PromQLError(f"a range selector outside a range function: {node.name}")
        check_selector(node, series)
        return None
    if isinstance(node, Call):
        return check_call(node, series)
    if isinstance(node, Aggregation):
        for param in node.params:
            check(param, series)
        check(node.expr, series)
        if node.without:
            raise PromQLError(f"{node.op} without (...): name the labels you keep with by (...)")
        grouping = node.grouping or []
        for selector in selectors(node.expr):
            for labels in matching(selector, series):
                missing = [label for label in grouping if not labels.get(label)]
                if missing:
                    raise PromQLError(f"{node.op} by {missing}: not on {selector.name} {labels}")
        return frozenset(grouping)
    if isinstance(node, Binary):
        left, right = check(node.left, series), check(node.right, series)
        for side in (node.left, node.right):
            for selector in selectors(side):
                for label in (node.on or []) + (node.ignoring or []) + node.group_labels:
                    if not any(labels.get(label) for labels in matching(selector, series)):
                        raise PromQLError(f"{node.op} matches on {label!r}: not on {selector.name}")
        if left == SCALAR:
            return right
        if right == SCALAR or node.group == "group_left":
            return left
        if node.on is None and node.ignoring is None and left != right:
            raise PromQLError(f"{node.op} between vectors with labels {left} and {right}")
        return left
    raise PromQLError(f"unsupported node {node!r}")


def check_selector(node: Selector, series: Series) -> None:
    if not node.name or node.name not in series:
        raise PromQLError(f"no series named {node.name!r}")
    if not matching(node, series):
        raise PromQLError(f"no {node.name} series matches {node.matchers}")
    for matcher in node.matchers:
        if not any(matcher.label in labels for labels in series[node.name]):
            raise PromQLError(f"{node.name} has no label {matcher.label!r}")


def check_call(node: Call, series: Series) -> frozenset[str] | None:
    if node.function in RANGE_FUNCTIONS:
        (arg,) = node.args
        if not isinstance(arg, Selector) or arg.range is None:
            raise PromQLError(f"{node.function} needs a range selector")
        if node.function in ("rate", "irate", "increase") and not arg.name.endswith(
            COUNTER_SUFFIXES
        ):
            raise PromQLError(f"{node.function} over {arg.name}, which is not a counter")
        check_selector(arg, series)
        return None
    if node.function == "histogram_quantile":
        quantile, vector = node.args
        if not (isinstance(quantile, Number) and 0 <= quantile.value <= 1):
            raise PromQLError("histogram_quantile needs a quantile in [0, 1]")
        if not all(s.name.endswith("_bucket") for s in selectors(vector)):
            raise PromQLError("histogram_quantile reads only _bucket series")
        labels = check(vector, series)
        if labels is None or "le" not in labels:
            raise PromQLError("histogram_quantile needs the le label kept")
        return labels - {"le"}
    if node.function == "scalar":
        check(node.args[0], series)
        return SCALAR
    raise PromQLError(f"function {node.function} is not supported by this checker")


def legend_labels(legend: str) -> set[str]:
    return set(re.findall(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", legend))


def dashboard_targets() -> list[tuple[str, dict]]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [
        (panel["title"], target)
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]


def prometheus_targets() -> list[tuple[str, dict]]:
    return [
        (title, target)
        for title, target in dashboard_targets()
        if target["datasource"]["type"] == "prometheus"
    ]


PROMQL = [
    pytest.param(target["expr"], target.get("legendFormat", ""), id=f"{title}-{target['refId']}")
    for title, target in prometheus_targets()
]

# ------------------------------------------------------------------------------------------------
# Real metrics: instrumented ChatOpenAI against a loopback fake, exported for Prometheus.
# ------------------------------------------------------------------------------------------------


@dataclass
class Telemetry:
    snapshots: list[str]  # the exposition after each round of traffic (cumulative)
    fake_port: int
    chat_spans: list[ReadableSpan]

    @property
    def exposition(self) -> str:
        return self.snapshots[-1]


def traffic(server: FakeServer) -> None:
    """Each round: two models, a stream, a 429 and a refused connection."""

    def model(name: str, base_url: str = f"{server.url}/v1") -> ChatOpenAI:
        return ChatOpenAI(
            model=name, base_url=base_url, api_key="sk-test", max_retries=0, stream_usage=True
        )

    model("gpt-4o-mini").invoke("hi")
    model("gpt-4o").invoke("hi")
    list(model("gpt-4o-mini").stream("hi"))
    list(model("gpt-4o").stream("hi"))
    for failing in (model("error-429"), model("gpt-4o", "http://127.0.0.1:9/v1")):
        with pytest.raises(Exception, match=r"."):
            failing.invoke("hi")


@pytest.fixture(scope="module")
def telemetry() -> Iterator[Telemetry]:
    server = FakeServer()
    fake_openai.install(server)
    server.start()
    registry = CollectorRegistry()
    reader = PrometheusMetricReader(registry=registry)
    meter_provider = MeterProvider(
        metric_readers=[reader], resource=Resource.create({"service.name": "dashboard-test"})
    )
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(
        tracer_provider=tracer_provider, meter_provider=meter_provider, metrics_enabled=True
    )
    try:
        snapshots = []
        for _round in range(2):
            traffic(server)
            snapshots.append(generate_latest(registry).decode())
    finally:
        instrumentor.uninstrument()
        meter_provider.shutdown()
        server.stop()
    chat_spans = [
        span
        for span in spans.get_finished_spans()
        if (span.attributes or {}).get("gen_ai.operation.name") == "chat"
    ]
    yield Telemetry(snapshots, server.port, chat_spans)


# ------------------------------------------------------------------------------------------------
# Tests
# ------------------------------------------------------------------------------------------------

SPAN_LABELS = {
    "gen_ai_operation_name",
    "gen_ai_provider_name",
    "gen_ai_request_model",
    "gen_ai_response_model",
    "server_address",
    "server_port",
}
SCOPE_LABELS = {"otel_scope_name", "otel_scope_version", "otel_scope_schema_url"}


def test_exposition_has_the_names_and_labels_the_dashboard_is_written_for(telemetry):
    series = series_of(telemetry.exposition)
    genai = {name for name in series if name.startswith("gen_ai_")}
    assert genai == {
        f"{base}_{suffix}"
        for base in (
            "gen_ai_client_operation_duration_seconds",
            "gen_ai_client_token_usage",
            "gen_ai_client_operation_time_to_first_chunk_seconds",
        )
        for suffix in ("bucket", "sum", "count")
    }

    def label_sets(name: str) -> set[frozenset]:
        return {
            frozenset(k for k, v in labels.items() if v and k not in SCOPE_LABELS)
            for labels in series[name]
        }

    assert label_sets("gen_ai_client_operation_duration_seconds_count") == {
        frozenset(SPAN_LABELS),
        # failed calls: no answer, so no response model
        frozenset(SPAN_LABELS - {"gen_ai_response_model"} | {"error_type"}),
    }
    assert label_sets("gen_ai_client_token_usage_count") == {
        frozenset(SPAN_LABELS | {"gen_ai_token_type"})
    }
    assert label_sets("gen_ai_client_operation_time_to_first_chunk_seconds_count") == {
        frozenset(SPAN_LABELS)
    }
    bounds = {labels["le"] for labels in series["gen_ai_client_operation_duration_seconds_bucket"]}
    assert bounds == {
        "0.01", "0.02", "0.04", "0.08", "0.16", "0.32", "0.64", "1.28", "2.56", "5.12",
        "10.24", "20.48", "40.96", "81.92", "+Inf",
    }  # fmt: skip

    values = {
        labels["gen_ai_request_model"]: labels.get("error_type", "")
        for labels in series["gen_ai_client_operation_duration_seconds_count"]
        if labels.get("error_type")
    }
    assert values == {
        "error-429": "langchain_openai.chat_models.base.OpenAIRateLimitError",
        "gpt-4o": "langchain_openai.chat_models.base.OpenAIConnectionError",
    }
    tokens = {
        (labels["gen_ai_provider_name"], labels["gen_ai_token_type"])
        for labels in series["gen_ai_client_token_usage_count"]
    }
    assert tokens == {("openai", "input"), ("openai", "output")}


def test_dashboard_queries_are_all_found_and_cover_the_panels():
    titles = {title for title, _target in prometheus_targets()}
    assert titles == {
        "Requests per second by model",
        "Latency p50 / p95 by model",
        "Tokens per minute by provider and type",
        "Error rate by error type",
        "Time to first chunk p50 / p95 by model",
    }
    assert len(PROMQL) == 7


@pytest.mark.parametrize(("expr", "legend"), PROMQL)
def test_every_query_refers_to_existing_series_and_labels(telemetry, expr, legend):
    series = series_of(telemetry.exposition)
    labels = check(parse(expr), series)

    assert labels is not None
    assert labels != SCALAR
    assert legend_labels(legend) <= labels, f"legend {legend!r} uses labels the query drops"


@pytest.mark.parametrize(
    ("expr", "problem"),
    [
        ("rate(gen_ai_client_operation_duration_count[1m])", "no series named"),
        ("sum by (model) (rate(gen_ai_client_token_usage_sum[1m]))", "by ['model']"),
        (
            "sum by (error_type) (rate(gen_ai_client_operation_duration_seconds_count[1m]))",
            "by ['error_type']",
        ),
        (
            "histogram_quantile(0.9, sum by (gen_ai_request_model) "
            "(rate(gen_ai_client_operation_duration_seconds_bucket[1m])))",
            "le label",
        ),
        ('rate(gen_ai_client_token_usage_count{gen_ai_token_type="cached"}[1m])', "matches"),
        ('sum(rate(gen_ai_client_token_usage_count{tokentype!=""}[1m]))', "matches"),
        (
            "gen_ai_client_token_usage_count / sum(gen_ai_client_token_usage_count)",
            "between vectors",
        ),
        ("sum without (le) (gen_ai_client_token_usage_bucket)", "by (...)"),
        ("sum by (gen_ai_token_type) (gen_ai_client_token_usage_sum[1m])", "outside a range"),
        ("rate(gen_ai_client_token_usage_sum)", "range selector"),
        ("sum by (le) (rate(x[$__auto]))", "Grafana variable"),
    ],
)
def test_the_checker_rejects_wrong_references(telemetry, expr, problem):
    series = series_of(telemetry.exposition)
    with pytest.raises(PromQLError, match=re.escape(problem)):
        check(parse(expr), series)


def test_the_parser_reads_the_whole_grammar_the_dashboard_uses():
    node = parse(
        'sum by (error_type) (rate(m_count{a!="", b=~"x|y"}[$__rate_interval])) '
        "/ on() group_left() scalar(sum(rate(m_count[5m]))) * 60"
    )
    assert isinstance(node, Binary)
    (first, second) = selectors(node)
    assert first.matchers == [Matcher("a", "!=", ""), Matcher("b", "=~", "x|y")]
    assert (first.range, second.range) == ("1m", "5m")


def test_tempo_panel_searches_chat_spans():
    (tempo,) = [
        target for _title, target in dashboard_targets() if target["datasource"]["type"] == "tempo"
    ]
    assert tempo["queryType"] == "traceql"
    assert tempo["query"] == '{ span.gen_ai.operation.name = "chat" }'


# ------------------------------------------------------------------------------------------------
# The real Prometheus server, when installed: scrape the same metrics, evaluate every query.
# ------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS_TEXT = "application/openmetrics-text; version=1.0.0; charset=utf-8"


class Exposition:
    """Serves one exposition at /metrics; ``text`` can be swapped between scrapes."""

    def __init__(self, text: str, content_type: str = PROMETHEUS_TEXT) -> None:
        self.text = text
        exposition = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                body = exposition.text.encode()
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def api(port: int, path: str, **params: str) -> Any:
    url = f"http://127.0.0.1:{port}/api/v1/{path}?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=10) as response:
        answer = json.load(response)
    assert answer["status"] == "success", answer
    return answer["data"]


def query(port: int, expression: str) -> list[dict]:
    data = api(port, "query", query=expression)
    assert data["resultType"] == "vector"
    return data["result"]


def query_exemplars(port: int, expression: str) -> list[dict]:
    """What Grafana asks for a target with ``"exemplar": true``: per series, its exemplars."""
    now = time.time()
    return api(port, "query_exemplars", query=expression, start=str(now - 600), end=str(now + 60))


def wait_until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("timed out")


def setup_prometheus_flags() -> list[str]:
    """The Grafana setup's Prometheus flags that this server knows, less its config file.

    The setup is written for Prometheus 3; the installed server (Debian's) may be older and refuse
    a flag it lacks, so only the flags ``prometheus --help`` lists are passed on.
    """
    compose = yaml.safe_load((GRAFANA_SETUP / "docker-compose.yml").read_text())
    flags = [f for f in compose["services"]["prometheus"]["command"] if "--config.file=" not in f]
    server_help = subprocess.run(
        [str(shutil.which("prometheus")), "--help"], capture_output=True, text=True, check=False
    )
    known = set(re.findall(r"--[a-z][a-z0-9.-]*", server_help.stdout + server_help.stderr))
    return [f for f in flags if f.partition("=")[0] in known]


@contextlib.contextmanager
def running_prometheus(data: Path, target_port: int, flags: list[str]) -> Iterator[int]:
    """A Prometheus server scraping 127.0.0.1:target_port every second; yields its API port."""
    data.mkdir()
    config = data / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n"
        "scrape_configs:\n"
        "  - job_name: langchain-otel\n"
        f"    static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n"
    )
    port = free_port()
    process = subprocess.Popen(
        [
            str(shutil.which("prometheus")),
            f"--config.file={config}",
            f"--storage.tsdb.path={data / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
            *flags,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


needs_prometheus = pytest.mark.skipif(
    shutil.which("prometheus") is None, reason="the prometheus server is absent"
)


@needs_prometheus
def test_real_prometheus_evaluates_every_query(telemetry, tmp_path):
    first, second = telemetry.snapshots
    exposition = Exposition(first)
    total = 'sum(gen_ai_client_operation_duration_seconds_count{gen_ai_request_model="gpt-4o"})'
    try:
        with running_prometheus(
            tmp_path / "prometheus", exposition.port, setup_prometheus_flags()
        ) as port:
            # The first snapshot is scraped, then the second: every rate() sees an increase.
            wait_until(lambda: query(port, total) != [])
            exposition.text = second
            wait_until(lambda: float(query(port, total)[0]["value"][1]) == 6.0)
            for title, target in prometheus_targets():
                result = query(port, parse_ready(target["expr"]))
                assert result, f"{title}: {target['expr']} returned nothing"
                labels = check(parse(target["expr"]), series_of(telemetry.exposition))
                assert labels is not None
                for sample in result:
                    assert set(sample["metric"]) == labels, (title, sample)
                    value = float(sample["value"][1])
                    assert math.isfinite(value), (title, sample)
                    assert value > 0, (title, sample)
    finally:
        exposition.stop()


def parse_ready(expression: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expression = expression.replace(variable, value)
    return expression


# ------------------------------------------------------------------------------------------------
# Exemplars: what Grafana's latency panels link to Tempo with.
# ------------------------------------------------------------------------------------------------

# The labels the Collector's prometheus exporter gives an exemplar (prometheustranslator's
# ExemplarTraceIDKey and ExemplarSpanIDKey in opentelemetry-collector-contrib).
TRACE_ID, SPAN_ID = "trace_id", "span_id"
EXEMPLAR_HISTOGRAMS = (
    "gen_ai_client_operation_duration_seconds",
    "gen_ai_client_operation_time_to_first_chunk_seconds",
)


def span_key(attributes: dict[str, Any]) -> tuple[str, bool]:
    """(requested model, failed): what tells the chat spans behind a series apart."""
    return attributes["gen_ai_request_model"], bool(attributes.get("error_type"))


def span_ids(span: ReadableSpan) -> dict[str, str]:
    context = span.get_span_context()
    return {TRACE_ID: f"{context.trace_id:032x}", SPAN_ID: f"{context.span_id:016x}"}


def openmetrics_with_exemplars(text: str, chat_spans: list[ReadableSpan]) -> str:
    """The exposition in OpenMetrics, each latency series' bucket holding its largest point
    carrying a chat span of that series as exemplar, with the Collector's label names."""
    last_span = {}
    for span in chat_spans:  # finished in order: the last one of each kind wins
        attributes = span.attributes or {}
        key = attributes["gen_ai.request.model"], "error.type" in attributes
        last_span[key] = span
    families = list(text_string_to_metric_families(text))
    for family in families:
        if family.name not in EXEMPLAR_HISTOGRAMS:
            continue
        totals = {}
        for sample in family.samples:
            if sample.name.endswith(("_count", "_sum")):
                series = frozenset(sample.labels.items())
                totals.setdefault(series, {})[sample.name.rsplit("_", 1)[1]] = sample.value
        marked = set()
        for index, sample in enumerate(family.samples):
            labels = {k: v for k, v in sample.labels.items() if k != "le"}
            series = frozenset(labels.items())
            if not sample.name.endswith("_bucket") or series in marked:
                continue
            count, total = totals[series]["count"], totals[series]["sum"]
            if sample.value == count:  # the first bucket that holds every point: le >= the mean
                span = last_span[span_key(labels)]
                exemplar = Exemplar(span_ids(span), total / count, time.time())
                family.samples[index] = sample._replace(exemplar=exemplar)
                marked.add(series)
        assert marked == set(totals), family.name

    class Families(Collector):
        def collect(self) -> list[Metric]:
            return families

    registry = CollectorRegistry(auto_describe=False)
    registry.register(Families())
    return openmetrics.generate_latest(registry).decode()


def series_key(labels: dict[str, str]) -> frozenset[tuple[str, str]]:
    """A series' labels as exposed: no empty values, no le, none that Prometheus adds."""
    added = {"__name__", "job", "instance", "le"}
    return frozenset((k, v) for k, v in labels.items() if v and k not in added)


def exemplar_targets() -> list[tuple[str, dict]]:
    targets = [(title, target) for title, target in prometheus_targets() if target.get("exemplar")]
    assert len(targets) == 4
    return targets


def test_the_openmetrics_exposition_carries_one_chat_span_per_latency_series(telemetry):
    text = openmetrics_with_exemplars(telemetry.exposition, telemetry.chat_spans)
    assert text.endswith("# EOF\n")
    exemplar_lines = [line for line in text.splitlines() if " # {" in line]
    series = {
        (name, frozenset((k, v) for k, v in labels.items() if k != "le"))
        for name, label_sets in series_of(telemetry.exposition).items()
        if name.rsplit("_", 1)[0] in EXEMPLAR_HISTOGRAMS and name.endswith("_bucket")
        for labels in label_sets
    }
    # Duration: two models, a 429 and a refused connection; time to first chunk: two models.
    assert len(exemplar_lines) == len(series) == 6
    known_traces = {span_ids(span)[TRACE_ID] for span in telemetry.chat_spans}
    for line in exemplar_lines:
        found = re.search(r'trace_id="([0-9a-f]{32})"', line)
        assert found and found.group(1) in known_traces, line


@needs_prometheus
def test_real_prometheus_keeps_the_exemplars_grafana_links_to_tempo(telemetry, tmp_path):
    flags = setup_prometheus_flags()
    assert "--enable-feature=exemplar-storage" in flags
    datasources = yaml.safe_load(
        (GRAFANA_SETUP / "grafana/provisioning/datasources/datasources.yaml").read_text()
    )
    (prometheus,) = [s for s in datasources["datasources"] if s["type"] == "prometheus"]
    linked_label = prometheus["jsonData"]["exemplarTraceIdDestinations"][0]["name"]
    spans = {span_ids(span)[SPAN_ID]: span for span in telemetry.chat_spans}
    text = openmetrics_with_exemplars(telemetry.exposition, telemetry.chat_spans)
    exposition = Exposition(text, OPENMETRICS_TEXT)
    try:
        with running_prometheus(tmp_path / "with", exposition.port, flags) as port:
            first = parse_ready(exemplar_targets()[0][1]["expr"])
            wait_until(lambda: query_exemplars(port, first) != [])
            for title, target in exemplar_targets():
                found = query_exemplars(port, parse_ready(target["expr"]))
                (bucket,) = {selector.name for selector in selectors(parse(target["expr"]))}
                # Every series the query reads came back with its exemplar...
                assert {series_key(s["seriesLabels"]) for s in found} == {
                    series_key(labels) for labels in series_of(telemetry.exposition)[bucket]
                }, title
                for series in found:
                    assert series["seriesLabels"]["__name__"] == bucket
                    assert series["exemplars"], (title, series)
                    for exemplar in series["exemplars"]:
                        # ...under the label Grafana links to Tempo: a chat span of that model.
                        assert set(exemplar["labels"]) == {TRACE_ID, SPAN_ID} >= {linked_label}
                        span = spans[exemplar["labels"][SPAN_ID]]
                        assert span_ids(span) == exemplar["labels"]
                        model = series["seriesLabels"]["gen_ai_request_model"]
                        assert span.attributes["gen_ai.request.model"] == model

        # The same scrape without the exemplar storage: the series arrive, the exemplars do not.
        without = [flag for flag in flags if flag != "--enable-feature=exemplar-storage"]
        with running_prometheus(tmp_path / "without", exposition.port, without) as port:
            scrapes = 'count_over_time(up{job="langchain-otel"}[1m])'
            wait_until(
                lambda: float((query(port, scrapes) or [{"value": [0, "0"]}])[0]["value"][1]) >= 3
            )
            assert query(port, "gen_ai_client_operation_duration_seconds_count") != []
            for _title, target in exemplar_targets():
                assert query_exemplars(port, parse_ready(target["expr"])) == []
    finally:
        exposition.stop()
