"""Regenerates ``registry.json`` from a checkout of the GenAI semantic-conventions registry.

    python -m tests.semconv.generate /path/to/semantic-conventions-genai [--out FILE]

Reads the checkout's ``model/**/*.yaml`` (weaver ``definition/2``; the MCP conventions left out,
nothing of ours is MCP): attribute definitions,
attribute groups, spans and span refinements, metrics and events. Every ``ref`` / ``ref_group`` is
resolved (groups nested in groups, ``span.<type>`` groups in events), so each span type, refinement,
metric and event lists its attributes with their requirement level, as weaver resolves them: a
later reference to an attribute refines the earlier one, an attribute never given a level is
``recommended``. Writes the attributes' types (enum members included), those resolved lists, the
span-name templates of each span type's name note, the manifest's schema URL and the checkout's
commit. The test that reads it is ``tests/test_semconv_registry.py``.

Attributes the model references but does not define come from the core conventions the manifest
depends on (semantic-conventions v1.41.0: ``server.*``, ``error.type``, ``exception.*``,
``azure.resource_provider.namespace``); their types are listed here, from that release.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
SNAPSHOT = HERE / "registry.json"

# The core attributes the GenAI model references (semantic-conventions v1.41.0).
CORE_TYPES = {
    "server.address": "string",
    "server.port": "int",
    "error.type": "string",
    "exception.type": "string",
    "exception.message": "string",
    "exception.stacktrace": "string",
    "azure.resource_provider.namespace": "string",
}
_LEVELS = ("required", "conditionally_required", "recommended", "opt_in")
#: Model directories left out: nothing of ours is the Model Context Protocol.
_LEFT_OUT = ("mcp",)


def documents(model: Path) -> Iterator[dict[str, Any]]:
    for path in sorted(model.rglob("*.yaml")):
        if path.name == "manifest.yaml" or path.relative_to(model).parts[0] in _LEFT_OUT:
            continue
        loaded = yaml.safe_load(path.read_text())
        if isinstance(loaded, dict):
            yield loaded


def attribute_type(definition: Mapping[str, Any]) -> dict[str, Any]:
    kind = definition.get("type")
    if isinstance(kind, Mapping):
        members = kind.get("members") or []
        # A deprecated member may share its value with the one that replaced it.
        return {"type": "enum", "members": sorted({str(m["value"]) for m in members})}
    return {"type": str(kind)}


def level_of(reference: Mapping[str, Any]) -> str | None:
    level = reference.get("requirement_level")
    if level is None:
        return None
    name = level if isinstance(level, str) else next(iter(level))
    if name not in _LEVELS:
        raise ValueError(f"unknown requirement level {level!r}")
    return str(name)


def name_templates(span: Mapping[str, Any]) -> list[str]:
    """The span-name formats the name note gives, in order: ``invoke_agent {gen_ai.agent.name}``,
    then the fallback ``invoke_agent`` where the note names one (an attribute mentioned in the
    sentence, ``gen_ai.agent.name``, is no format)."""
    note = (span.get("name") or {}).get("note") or ""
    found: list[str] = []
    for sentence in re.split(r"(?<=\.)\s+", note):
        if "SHOULD be" not in sentence:
            continue
        for text in re.findall(r"`([^`]+)`", sentence):
            if ("{" in text or "." not in text) and text not in found:
                found.append(text)
    return found


class Model:
    """The model's definitions, and their resolution into attribute -> requirement level."""

    def __init__(self, model: Path) -> None:
        self.attributes: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, list[Mapping[str, Any]]] = {}
        self.spans: dict[str, Mapping[str, Any]] = {}
        self.refinements: dict[str, Mapping[str, Any]] = {}
        self.metrics: dict[str, Mapping[str, Any]] = {}
        self.metric_refinements: dict[str, Mapping[str, Any]] = {}
        self.events: dict[str, Mapping[str, Any]] = {}
        for document in documents(model):
            for definition in document.get("attributes") or []:
                self.attributes[definition["key"]] = attribute_type(definition)
            for group in document.get("attribute_groups") or []:
                self.groups[group["id"]] = group.get("attributes") or []
            for span in document.get("spans") or []:
                self.spans[span["type"]] = span
                self.groups[f"span.{span['type']}"] = span.get("attributes") or []
            for refinement in document.get("span_refinements") or []:
                self.refinements[refinement["id"]] = refinement
            for metric in document.get("metrics") or []:
                self.metrics[metric["name"]] = metric
            for refinement in document.get("metric_refinements") or []:
                self.metric_refinements[refinement["id"]] = refinement
            for event in document.get("events") or []:
                self.events[event["name"]] = event
        self.external = sorted(key for key in self._referenced() if key not in self.attributes)
        for key in self.external:
            self.attributes[key] = {"type": CORE_TYPES[key], "external": True}

    def _referenced(self) -> set[str]:
        lists = [
            *self.groups.values(),
            *(r.get("attributes") or [] for r in self.refinements.values()),
            *(m.get("attributes") or [] for m in self.metrics.values()),
            *(r.get("attributes") or [] for r in self.metric_refinements.values()),
            *(e.get("attributes") or [] for e in self.events.values()),
        ]
        return {item["ref"] for items in lists for item in items if "ref" in item}

    def resolve(self, items: list[Mapping[str, Any]], into: dict[str, str | None]) -> None:
        for item in items:
            if "ref_group" in item:
                self.resolve(self.groups[item["ref_group"]], into)
            elif "ref" in item:
                level = level_of(item)
                if level is not None or item["ref"] not in into:
                    into[item["ref"]] = level if level is not None else into.get(item["ref"])

    def resolved(self, *lists: list[Mapping[str, Any]]) -> dict[str, str]:
        into: dict[str, str | None] = {}
        for items in lists:
            self.resolve(items, into)
        return {key: level or "recommended" for key, level in sorted(into.items())}


def snapshot(checkout: Path) -> dict[str, Any]:
    model_dir = checkout / "model"
    model = Model(model_dir)
    manifest = yaml.safe_load((model_dir / "manifest.yaml").read_text())
    commit = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    spans = {
        name: {
            "kind": span.get("kind"),
            "names": name_templates(span),
            "attributes": model.resolved(span.get("attributes") or []),
        }
        for name, span in sorted(model.spans.items())
    }
    refinements = {
        name: {
            "span": refinement["ref"],
            "attributes": model.resolved(
                model.spans[refinement["ref"]].get("attributes") or [],
                refinement.get("attributes") or [],
            ),
        }
        for name, refinement in sorted(model.refinements.items())
    }
    metrics = {
        name: {
            "instrument": metric.get("instrument"),
            "unit": metric.get("unit"),
            "attributes": model.resolved(metric.get("attributes") or []),
        }
        for name, metric in sorted(model.metrics.items())
    }
    events = {
        name: {"attributes": model.resolved(event.get("attributes") or [])}
        for name, event in sorted(model.events.items())
    }
    return {
        "source": {
            "repository": "semantic-conventions-genai",
            "commit": commit,
            "schema_url": manifest.get("schema_url"),
            "regenerate": "python -m tests.semconv.generate <checkout>",
        },
        "attributes": dict(sorted(model.attributes.items())),
        "spans": spans,
        "span_refinements": refinements,
        "metrics": metrics,
        "events": events,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=Path, help="a checkout of semantic-conventions-genai")
    parser.add_argument("--out", type=Path, default=SNAPSHOT)
    parser.add_argument("--origin", default=None, help="the checkout's repository, for the record")
    args = parser.parse_args()
    data = snapshot(args.checkout)
    if args.origin:
        data["source"]["repository"] = args.origin
    args.out.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")
    print(f"{args.out}: {len(data['attributes'])} attributes, {len(data['spans'])} span types")


if __name__ == "__main__":
    main()
