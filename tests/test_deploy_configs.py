"""The Jaeger and Grafana setups are consistent by construction (Docker cannot run here).

Every YAML/JSON file loads; every file a compose service mounts exists; every host:port one
component uses to reach another is a compose service listening on that port; the ports the
READMEs tell users to open are the ones published; the dashboard only uses provisioned data
sources. ``promtool`` (Debian's prometheus package) validates prometheus.yml when installed.

The images are exact current releases (Jaeger v2, Collector Contrib, Tempo 3, Prometheus 3,
Grafana) whose configuration keys are used under their current names, not removed or deprecated
ones, and the READMEs name the same releases. Exemplars are wired end to end: the Collector's
exporter serves OpenMetrics, Prometheus keeps exemplars, the Prometheus data source links their
``trace_id`` to Tempo and the histogram-quantile targets ask for them (tests/test_dashboards.py
checks that a real Prometheus returns them).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
JAEGER = ROOT / "examples/jaeger"
GRAFANA = ROOT / "examples/grafana"


def load(path: Path):
    return yaml.safe_load(path.read_text())


def published(service: dict) -> dict[int, int]:
    """Host port -> container port, from "host:container" entries."""
    ports = {}
    for entry in service.get("ports", []):
        host, container = str(entry).split("/")[0].split(":")[-2:]
        ports[int(host)] = int(container)
    return ports


def mounts(service: dict) -> dict[str, str]:
    """Container path -> source (a ./relative path or a named volume)."""
    found = {}
    for entry in service.get("volumes", []):
        source, target = entry.split(":")[:2]
        found[target] = source
    return found


def port_of(endpoint: str) -> int:
    return int(endpoint.rsplit(":", 1)[1])


def image_version(image: str) -> tuple[str, tuple[int, ...]]:
    """(repository, (major, minor, patch)) of an image pinned to an exact release."""
    repository, _, tag = image.rpartition(":")
    match = re.fullmatch(r"v?(\d+)\.(\d+)\.(\d+)", tag)
    assert repository and match, f"pin {image} to an exact release"
    return repository, tuple(int(part) for part in match.groups())


@pytest.fixture(scope="module")
def grafana_compose() -> dict:
    return load(GRAFANA / "docker-compose.yml")


def flag(service: dict, name: str) -> str:
    """The value of ``--name=value`` / ``-name=value`` in a service's command."""
    for argument in service.get("command", []):
        key, _, value = argument.partition("=")
        if key.lstrip("-") == name:
            return value
    raise AssertionError(f"no {name} in {service.get('command')}")


def mounted_file(compose_dir: Path, service: dict, container_path: str) -> Path:
    """The host file behind a container path, through the service's bind mounts."""
    for target, source in mounts(service).items():
        if container_path == target or container_path.startswith(target.rstrip("/") + "/"):
            assert source.startswith("./"), f"{container_path} is not bind-mounted"
            host = compose_dir / source / Path(container_path).relative_to(target)
            assert host.exists(), host
            return host
    raise AssertionError(f"{container_path} is not mounted")


# -- compose files ---------------------------------------------------------------------------


@pytest.mark.parametrize("compose_dir", [JAEGER, GRAFANA], ids=["jaeger", "grafana"])
def test_compose_services_are_pinned_and_mount_existing_files(compose_dir):
    compose = load(compose_dir / "docker-compose.yml")
    volumes = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        image_version(service["image"])
        for source in mounts(service).values():
            if source.startswith("."):
                assert (compose_dir / source).exists(), f"{name}: {source} is missing"
            else:
                assert source in volumes, f"{name}: volume {source} is not declared"
        depends = service.get("depends_on", [])
        assert set(depends) <= set(compose["services"]), name


def test_jaeger_is_v2_in_its_built_in_all_in_one_configuration():
    (jaeger,) = load(JAEGER / "docker-compose.yml")["services"].values()
    assert published(jaeger) == {4317: 4317, 4318: 4318, 16686: 16686}
    # jaegertracing/all-in-one is Jaeger v1, end of life; v2 is one image, a Collector
    # distribution. Without --config it runs its embedded all-in-one configuration (memory
    # storage, OTLP receivers on 4317/4318, UI on 16686), whose receivers listen on all
    # interfaces from 2.1 on (2.0 needed --set ...endpoint=0.0.0.0:4317 to be reachable).
    repository, version = image_version(jaeger["image"])
    assert repository == "jaegertracing/jaeger"
    assert version >= (2, 1, 0)
    # v1's COLLECTOR_OTLP_ENABLED means nothing to v2; no command means the built-in config.
    assert set(jaeger) == {"image", "ports"}


def test_grafana_stack_publishes_the_documented_ports(grafana_compose):
    services = grafana_compose["services"]
    assert set(services) == {"otel-collector", "tempo-init", "tempo", "prometheus", "grafana"}
    assert published(services["otel-collector"]) == {4317: 4317, 4318: 4318}
    assert published(services["grafana"]) == {3000: 3000}
    assert published(services["prometheus"]) == {9090: 9090}
    assert published(services["tempo"]) == {3200: 3200}
    # Tempo's data volume is made writable for its user (10001) before it starts. The Tempo image
    # is distroless since 2.10 (no chown, no shell), so a busybox does it.
    init = services["tempo-init"]
    assert image_version(init["image"])[0] == "busybox"
    assert (init["user"], init["entrypoint"]) == ("root", ["chown", "10001:10001", "/var/tempo"])
    assert mounts(init) == {"/var/tempo": "tempo-data"}
    assert services["tempo"]["depends_on"] == {
        "tempo-init": {"condition": "service_completed_successfully"}
    }


# Each product's image, and the oldest release the configuration here is written for.
GRAFANA_STACK_IMAGES = {
    # otlp_grpc is the OTLP gRPC exporter's name from 0.144 on ("otlp" is a deprecated alias).
    "otel-collector": ("otel/opentelemetry-collector-contrib", (0, 144, 0)),
    # tempo.yaml is a Tempo 3 monolithic config: 3.0 removed the ingester and compactor blocks.
    "tempo": ("grafana/tempo", (3, 0, 0)),
    # Prometheus 3 and Grafana 12 are the current major lines (2.x and 11.x were the 2024 ones).
    "prometheus": ("prom/prometheus", (3, 0, 0)),
    "grafana": ("grafana/grafana", (12, 0, 0)),
}


def test_grafana_stack_runs_current_releases(grafana_compose):
    services = grafana_compose["services"]
    for name, (expected_repository, oldest) in GRAFANA_STACK_IMAGES.items():
        repository, version = image_version(services[name]["image"])
        assert repository == expected_repository, name
        assert version >= oldest, name


# -- the Collector ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def collector(grafana_compose) -> dict:
    service = grafana_compose["services"]["otel-collector"]
    return load(mounted_file(GRAFANA, service, flag(service, "config")))


def test_collector_receives_otlp_on_the_published_ports(collector, grafana_compose):
    protocols = collector["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"] == "0.0.0.0:4317"
    assert protocols["http"]["endpoint"] == "0.0.0.0:4318"
    container_ports = set(published(grafana_compose["services"]["otel-collector"]).values())
    assert {port_of(p["endpoint"]) for p in protocols.values()} == container_ports


def test_collector_pipelines_use_defined_components_and_send_traces_to_tempo_metrics_to_prometheus(
    collector, grafana_compose
):
    pipelines = collector["service"]["pipelines"]
    assert set(pipelines) == {"traces", "metrics"}
    used = {kind: set() for kind in ("receivers", "processors", "exporters")}
    for pipeline in pipelines.values():
        for kind, names in pipeline.items():
            assert set(names) <= set(collector[kind]), (kind, names)
            used[kind] |= set(names)
    for kind, names in used.items():
        assert names == set(collector.get(kind, {})), f"unused {kind}"
    # Component types under their current names, not the deprecated aliases.
    for kind in ("receivers", "exporters"):
        for component in collector[kind]:
            assert component.split("/")[0] not in {"otlphttp", "prometheusremotewrite"}, component
    assert "otlp" not in {exporter.split("/")[0] for exporter in collector["exporters"]}

    # Batching happens in the Tempo exporter's sending queue (an empty batch block turns it on
    # with its defaults), which replaces the batch processor; the scrape endpoint needs none.
    assert used["processors"] == set()
    assert pipelines["traces"]["exporters"] == ["otlp_grpc/tempo"]
    assert collector["exporters"]["otlp_grpc/tempo"]["sending_queue"] == {"batch": {}}
    tempo_endpoint = collector["exporters"]["otlp_grpc/tempo"]["endpoint"]
    host, port = tempo_endpoint.split(":")
    assert host in grafana_compose["services"]
    tempo = load(GRAFANA / "tempo.yaml")
    assert port_of(tempo["distributor"]["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]) == (
        int(port)
    )
    assert collector["exporters"]["otlp_grpc/tempo"]["tls"] == {"insecure": True}

    assert pipelines["metrics"]["exporters"] == ["prometheus"]
    exporter = collector["exporters"]["prometheus"]
    # The dashboard's names (gen_ai_client_operation_duration_seconds_bucket, gen_ai_request_model)
    # need dots escaped to underscores and the unit suffixes. add_metric_suffixes is deprecated
    # and ignored from 0.154 on; resource_to_telemetry_conversion is deprecated (off by default).
    assert exporter["translation_strategy"] == "UnderscoreEscapingWithSuffixes"
    assert not {"add_metric_suffixes", "resource_to_telemetry_conversion"} & set(exporter)


# -- Prometheus, Tempo, Grafana ---------------------------------------------------------------


def prometheus_config(grafana_compose) -> Path:
    service = grafana_compose["services"]["prometheus"]
    return mounted_file(GRAFANA, service, flag(service, "config.file"))


def test_prometheus_scrapes_the_collector_exporter(grafana_compose, collector):
    config = load(prometheus_config(grafana_compose))
    (job,) = config["scrape_configs"]
    (targets,) = [c["targets"] for c in job["static_configs"]]
    exporter_port = port_of(collector["exporters"]["prometheus"]["endpoint"])
    assert targets == [f"otel-collector:{exporter_port}"]
    assert job["honor_labels"] is True
    assert targets[0].split(":")[0] in grafana_compose["services"]


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_accepts_the_prometheus_config(grafana_compose):
    result = subprocess.run(
        ["promtool", "check", "config", str(prometheus_config(grafana_compose))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_tempo_config_stores_in_its_volume_and_serves_the_api_port(grafana_compose):
    service = grafana_compose["services"]["tempo"]
    tempo = load(mounted_file(GRAFANA, service, flag(service, "config.file")))
    assert tempo["server"]["http_listen_port"] == 3200
    # Tempo 3 refuses the 2.x blocks it removed; monolithic mode needs no Kafka (ingest block).
    assert not {"ingester", "ingester_client", "compactor", "metrics_generator_client"} & set(tempo)
    assert "ingest" not in tempo
    # No -target flag nor target key: the default target "all", monolithic.
    assert service["command"] == ["-config.file=/etc/tempo.yaml"]
    assert "target" not in tempo
    compaction = tempo["backend_scheduler"]["provider"]["compaction"]["compaction"]
    assert compaction == {"block_retention": "24h"}
    storage = tempo["storage"]["trace"]
    assert storage["backend"] == "local"
    for path in (storage["wal"]["path"], storage["local"]["path"]):
        assert path.startswith("/var/tempo/")
    assert mounts(service)["/var/tempo"] == "tempo-data"


@pytest.fixture(scope="module")
def provisioning(grafana_compose) -> Path:
    service = grafana_compose["services"]["grafana"]
    return mounted_file(GRAFANA, service, "/etc/grafana/provisioning")


def test_grafana_data_sources_point_at_the_services(provisioning, grafana_compose):
    (datasources_file,) = (provisioning / "datasources").glob("*.yaml")
    config = load(datasources_file)
    assert config["apiVersion"] == 1
    sources = {source["uid"]: source for source in config["datasources"]}
    assert {uid: s["type"] for uid, s in sources.items()} == {
        "prometheus": "prometheus",
        "tempo": "tempo",
    }
    tempo = load(GRAFANA / "tempo.yaml")
    expected_ports = {"prometheus": 9090, "tempo": tempo["server"]["http_listen_port"]}
    for uid, source in sources.items():
        url = urlsplit(source["url"])
        assert url.hostname in grafana_compose["services"], source
        assert url.port == expected_ports[uid]
        container_ports = set(published(grafana_compose["services"][url.hostname]).values())
        assert url.port in container_ports


def test_grafana_loads_the_dashboard_with_provisioned_data_sources(provisioning, grafana_compose):
    service = grafana_compose["services"]["grafana"]
    (provider,) = load(provisioning / "dashboards" / "dashboards.yaml")["providers"]
    folder = mounted_file(GRAFANA, service, provider["options"]["path"])
    (dashboard_file,) = folder.glob("*.json")
    home = service["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert mounted_file(GRAFANA, service, home) == dashboard_file

    dashboard = json.loads(dashboard_file.read_text())
    (datasources_file,) = (provisioning / "datasources").glob("*.yaml")
    provisioned = {(s["type"], s["uid"]) for s in load(datasources_file)["datasources"]}
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert (panel["datasource"]["type"], panel["datasource"]["uid"]) in provisioned
        for target in panel["targets"]:
            assert target["datasource"] == panel["datasource"]
    assert dashboard["uid"] == "langchain-genai"


# -- exemplars: latency points that link to their traces ---------------------------------------

# The label the Collector's prometheus exporter gives an exemplar's trace id (span_id for the
# span): prometheustranslator.ExemplarTraceIDKey in opentelemetry-collector-contrib.
EXEMPLAR_TRACE_ID_LABEL = "trace_id"


def enabled_features(service: dict) -> set[str]:
    """The --enable-feature values of a Prometheus command (repeatable, comma-separated)."""
    return {
        feature
        for argument in service["command"]
        if argument.startswith("--enable-feature=")
        for feature in argument.partition("=")[2].split(",")
    }


def test_exemplars_travel_from_the_collector_through_prometheus(collector, grafana_compose):
    # The exporter writes exemplars only in the OpenMetrics format, which Prometheus asks for
    # first by default; Prometheus keeps them only with its exemplar storage on.
    assert collector["exporters"]["prometheus"]["enable_open_metrics"] is True
    prometheus = grafana_compose["services"]["prometheus"]
    assert "exemplar-storage" in enabled_features(prometheus)
    config = load(prometheus_config(grafana_compose))
    (job,) = config["scrape_configs"]
    # The default scrape_protocols put OpenMetricsText1.0.0 first; nothing overrides them.
    assert "scrape_protocols" not in config["global"] and "scrape_protocols" not in job


def test_grafana_links_exemplar_trace_ids_to_tempo(provisioning):
    (datasources_file,) = (provisioning / "datasources").glob("*.yaml")
    sources = {source["type"]: source for source in load(datasources_file)["datasources"]}
    (destination,) = sources["prometheus"]["jsonData"]["exemplarTraceIdDestinations"]
    # An internal link (datasourceUid, no url) to the provisioned Tempo data source.
    assert destination == {
        "name": EXEMPLAR_TRACE_ID_LABEL,
        "datasourceUid": sources["tempo"]["uid"],
        "urlDisplayLabel": "Open trace in Tempo",
    }


def test_dashboard_asks_for_exemplars_on_the_histogram_quantile_panels():
    dashboard = json.loads((GRAFANA / "grafana/dashboards/langchain-genai.json").read_text())
    prometheus_targets = [
        (panel["title"], target)
        for panel in dashboard["panels"]
        if panel["datasource"]["type"] == "prometheus"
        for target in panel["targets"]
    ]
    with_exemplars = {(title, t["refId"]) for title, t in prometheus_targets if t.get("exemplar")}
    assert with_exemplars == {
        (title, ref_id)
        for title in ("Latency p50 / p95 by model", "Time to first chunk p50 / p95 by model")
        for ref_id in ("A", "B")
    }
    for title, target in prometheus_targets:
        # Exemplars sit on histogram buckets: exactly the queries that read _bucket series ask.
        reads_buckets = "_bucket[" in target["expr"]
        assert target.get("exemplar", False) is reads_buckets, (title, target["refId"])


# -- what the READMEs tell users --------------------------------------------------------------


def section(text: str, heading: str) -> str:
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, heading
    return match.group(1)


def readme_facts(body: str) -> tuple[set[str], set[int]]:
    composes = set(re.findall(r"docker compose -f (\S+) up -d", body))
    ports = {int(p) for p in re.findall(r"localhost:(\d+)", body)}
    return composes, ports


@pytest.mark.parametrize("readme", ["README.md", "examples/README.md"])
@pytest.mark.parametrize(
    ("heading", "compose_dir"),
    [("See it in Jaeger", JAEGER), ("See it in Grafana", GRAFANA)],
    ids=["jaeger", "grafana"],
)
def test_readme_commands_match_the_compose_files(readme, heading, compose_dir):
    body = section((ROOT / readme).read_text(), heading)
    composes, ports = readme_facts(body)
    assert composes == {str((compose_dir / "docker-compose.yml").relative_to(ROOT))}
    compose = load(compose_dir / "docker-compose.yml")
    published_ports = {p for s in compose["services"].values() for p in published(s)}
    assert ports, "the section names no port"
    assert ports <= published_ports, ports - published_ports
    assert "OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317" in body
    for example in re.findall(r"examples/(\w+\.py)", body):
        assert (ROOT / "examples" / example).exists(), example
    commands = [
        line
        for block in re.findall(r"```sh\n(.*?)```", body, re.S)
        for line in block.splitlines()
        if line.strip()
    ]
    assert 0 < len(commands) <= 5


# What the READMEs call each image's product where they say which releases a setup is written for.
PRODUCTS = {
    "jaegertracing/jaeger": "Jaeger",
    "otel/opentelemetry-collector-contrib": "OpenTelemetry Collector Contrib",
    "grafana/tempo": "Tempo",
    "prom/prometheus": "Prometheus",
    "grafana/grafana": "Grafana",
}


@pytest.mark.parametrize("readme", ["README.md", "examples/README.md"])
@pytest.mark.parametrize(
    ("heading", "compose_dir"),
    [("See it in Jaeger", JAEGER), ("See it in Grafana", GRAFANA)],
    ids=["jaeger", "grafana"],
)
def test_readme_names_the_releases_the_setup_runs(readme, heading, compose_dir):
    body = " ".join(section((ROOT / readme).read_text(), heading).split())
    assert "Written for " in body
    claimed: dict[str, set[str]] = {}
    for product in PRODUCTS.values():
        for version in re.findall(rf"{re.escape(product)} (\d+(?:\.\d+)*)\.x", body):
            claimed.setdefault(product, set()).add(version)
    running = {}
    for service in load(compose_dir / "docker-compose.yml")["services"].values():
        repository, (major, minor, _patch) = image_version(service["image"])
        if repository in PRODUCTS:  # not the busybox helper
            running[PRODUCTS[repository]] = {f"0.{minor}" if major == 0 else str(major)}
    assert claimed == running
