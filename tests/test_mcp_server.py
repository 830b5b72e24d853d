"""`flowlix-mock mcp` (contract section 18), driven the way a coding assistant drives it.

The official MCP SDK's client starts the command over stdio, lists the tools and calls each one.
The docs bundle it answers from is what the build step writes (the `built_site` fixture runs it,
as `make build` does); a second run starts the server from the built wheel, as a merchant who
installs flowlix-mock has it, with no network (an unroutable proxy and no repository on the path).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import zipfile
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from flowlix_mock import catalog

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
TOOLS = {"search_docs", "get_doc_page", "lookup_decline_code", "lookup_error_code"} | {
    "list_test_cards"
}
OFFLINE = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}

CALLS: list[tuple[str, dict[str, Any]]] = [
    ("search_docs", {"query": "refund part of a payment"}),
    ("search_docs", {"query": "verify webhook signature raw body"}),
    ("get_doc_page", {"path": "/idempotency/"}),
    ("get_doc_page", {"path": "https://docs.flowlix.eu/errors/#card_declined"}),
    ("get_doc_page", {"path": "/no-such-page/"}),
    ("lookup_decline_code", {"code": "insufficient_funds"}),
    ("lookup_decline_code", {"code": "stolen_card"}),
    ("lookup_decline_code", {"code": "a_code_from_the_future"}),
    ("lookup_error_code", {"code": "idempotency_key_reused"}),
    ("lookup_error_code", {"code": "nonsense_code"}),
    ("list_test_cards", {}),
    ("list_test_cards", {"scenario": "insufficient funds"}),
]


async def session(command: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Start the server as an MCP client does; list the tools and make every call."""
    server = StdioServerParameters(command=command[0], args=command[1:], env=env, cwd="/")
    results: dict[str, Any] = {"calls": []}
    async with Client(server) as client:
        listed = await client.list_tools()
        results["tools"] = {tool.name: tool for tool in listed.tools}
        for name, arguments in CALLS:
            result = await client.call_tool(name, arguments)
            text = "\n".join(getattr(block, "text", "") for block in result.content)
            results["calls"].append((result.is_error, result.structured_content, text))
    return results


def call(results: dict[str, Any], index: int) -> tuple[bool, Any, str]:
    return results["calls"][index]


@pytest.fixture(scope="module")
def answers(built_site) -> dict[str, Any]:
    """The installed `flowlix-mock mcp` (this environment's console script)."""
    return asyncio.run(asyncio.wait_for(session([str(VENV_BIN / "flowlix-mock"), "mcp"]), 60))


def test_it_lists_the_five_read_only_tools(answers):
    tools = answers["tools"]
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.description, tool.name
        assert tool.annotations.read_only_hint is True, tool.name
        assert tool.annotations.destructive_hint is False, tool.name
        assert tool.annotations.open_world_hint is False, tool.name
    assert tools["search_docs"].input_schema["required"] == ["query"]
    assert tools["get_doc_page"].input_schema["required"] == ["path"]
    assert "required" not in tools["list_test_cards"].input_schema


def test_search_docs_ranks_the_section_that_answers(answers):
    error, data, _ = call(answers, 0)
    assert not error
    first = data["results"][0]
    assert first["url"].startswith("https://docs.flowlix.eu/refunds/#")
    assert "Refunds" in first["title"]
    urls = [result["url"] for result in data["results"]]
    assert "https://docs.flowlix.eu/refunds/#partial-refund" in urls
    error, data, _ = call(answers, 1)
    assert not error
    assert data["results"][0]["url"].startswith("https://docs.flowlix.eu/webhooks/")
    assert all(result["excerpt"] for result in data["results"])


def test_get_doc_page_returns_the_page_s_markdown(answers, built_site):
    error, _, text = call(answers, 2)
    assert not error
    copy = (built_site / "idempotency" / "index.md").read_text("utf-8")
    assert text.endswith(copy)
    assert "# Idempotency" in text and "{{" not in text and "--8<--" not in text
    error, _, text = call(answers, 3)  # a URL with an anchor names its page
    assert not error and "# Errors" in text
    error, _, text = call(answers, 4)
    assert error
    assert "/no-such-page/" in text and "/errors/" in text  # says which pages exist


def test_lookup_decline_code(answers):
    error, data, _ = call(answers, 5)
    assert not error
    item = catalog.DECLINE_CODES_BY_CODE["insufficient_funds"]
    assert data["known"] is True
    assert data["customer_message"] == item.customer_message
    assert data["retry"] == item.retry and data["next_step"] == item.next_step
    assert data["doc_url"] == "https://docs.flowlix.eu/decline-codes/#insufficient_funds"
    assert data["test_cards"] == [
        card.number for card in catalog.TEST_CARDS if card.decline_code == "insufficient_funds"
    ]
    error, data, _ = call(answers, 6)
    assert data["never_reveal_reason"] is True
    assert data["customer_message"] == catalog.GENERIC_DECLINE_MESSAGE
    # Contract section 19: an unknown decline code is handled as generic_decline.
    error, data, _ = call(answers, 7)
    assert not error and data["known"] is False
    assert data["handle_as"]["decline_code"] == "generic_decline"
    assert "insufficient_funds" in data["known_codes"]


def test_lookup_error_code(answers):
    error, data, _ = call(answers, 8)
    assert not error
    item = catalog.ERROR_CODES_BY_CODE["idempotency_key_reused"]
    assert (data["status"], data["type"], data["meaning"]) == (item.status, item.type, item.meaning)
    assert data["doc_url"] == "https://docs.flowlix.eu/errors/#idempotency_key_reused"
    error, data, _ = call(answers, 9)
    assert data["known"] is False and "api_key_missing" in data["known_codes"]


def test_list_test_cards(answers):
    error, data, _ = call(answers, 10)
    assert not error
    assert [card["number"] for card in data["cards"]] == [c.number for c in catalog.TEST_CARDS]
    error, data, _ = call(answers, 11)
    assert [card["number"] for card in data["cards"]] == ["4000040000010015"]
    card = data["cards"][0]
    assert card["decline_code"] == "insufficient_funds"
    assert card["direct_api_result"] == "402 card_declined, decline_code insufficient_funds"
    assert card["doc_url"] == "https://docs.flowlix.eu/decline-codes/#insufficient_funds"


def test_the_wheel_ships_the_docs_and_serves_them_offline(built_site, tmp_path):
    """Built like `make dist` builds it; run from the wheel alone, with no network."""
    result = subprocess.run(
        [str(ROOT / ".tools" / "bin" / "uv"), "build", "--wheel", "--out-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("flowlix_mock-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        bundle = json.loads(archive.read("flowlix_mock/docs_bundle.json"))
        assert "flowlix_mock/mcp_server.py" in archive.namelist()
    assert {page["path"] for page in bundle["pages"]} >= {"/", "/errors/", "/testing/"}
    # The wheel first on the path: its flowlix_mock, not this checkout's, answers.
    env = OFFLINE | {"PYTHONPATH": str(wheel)}
    where = subprocess.run(
        [sys.executable, "-c", "import flowlix_mock; print(flowlix_mock.__file__)"],
        env=os.environ | env,
        cwd="/",
        capture_output=True,
        text=True,
    )
    assert where.stdout.startswith(str(wheel)), where.stdout + where.stderr
    code = "import sys, flowlix_mock.cli as cli; sys.exit(cli.main())"
    answers = asyncio.run(
        asyncio.wait_for(session([sys.executable, "-c", code, "mcp"], env=env), 60)
    )
    assert set(answers["tools"]) == TOOLS
    error, _, text = call(answers, 2)
    assert not error and "# Idempotency" in text
    error, data, _ = call(answers, 5)
    assert data["customer_message"] == catalog.customer_message("insufficient_funds")


def test_the_mock_page_shows_how_to_add_the_server_to_an_assistant(built_site):
    html = (built_site / "mock" / "index.html").read_text("utf-8")
    section = html.split('id="mcp"', 1)[1].split("</article>", 1)[0]
    text = " ".join(unescape(re.sub(r"<[^>]+>", "", section)).split())
    for tool in TOOLS:
        assert f"{tool}(" in text, tool
    assert "claude mcp add --transport stdio flowlix -- flowlix-mock mcp" in text
    assert '"mcpServers": { "flowlix": { "command": "flowlix-mock", "args": ["mcp"] }' in text
    assert '"type": "stdio", "command": "flowlix-mock", "args": ["mcp"]' in text
