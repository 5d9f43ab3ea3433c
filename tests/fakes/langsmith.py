"""LangSmith's prompt hub as ``langsmith.Client.pull_prompt`` reads it.

``GET /commits/{owner}/{repo}/{commit}`` answers ``{"commit_hash", "manifest", "examples"}``,
the manifest being the prompt template serialized the way LangChain serializes it (``dumpd``),
which the client loads back and marks with ``lc_hub_owner``/``lc_hub_repo``/``lc_hub_commit_hash``.
``latest`` is the newest commit; an unknown repo is a 404, as on the real hub. ``GET /info``
answers what the client asks the server first.
"""

from __future__ import annotations

from langchain_core.load import dumpd
from langchain_core.prompts import ChatPromptTemplate

from tests.fakes.server import FakeServer, Reply, Request

REPO = "museum-triage"
COMMIT = "6f1c2d9e"
TEMPLATE = ChatPromptTemplate.from_messages(
    [("system", "You triage questions for the {museum}."), ("human", "{question}")]
)


def install(server: FakeServer) -> None:
    server.route("GET", "/info", lambda request: Reply.json({"version": "0.12.0"}))
    server.route("GET", "/commits/", commit)


def commit(request: Request) -> Reply:
    _, _, _owner, repo, wanted = request.path.split("/", 4)
    if repo != REPO or wanted not in ("latest", COMMIT):
        return Reply.json({"detail": "Prompt not found"}, status=404)
    return Reply.json({"commit_hash": COMMIT, "manifest": dumpd(TEMPLATE), "examples": []})
