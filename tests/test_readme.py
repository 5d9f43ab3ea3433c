"""The README's configuration table and redaction example say what the code does."""

from __future__ import annotations

import re
from pathlib import Path

from langchain_otel import ChatContent, config

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


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
