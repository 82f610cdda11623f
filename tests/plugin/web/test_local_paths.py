"""The assistant's tool calls on the Ask page run on the server: a `model` naming a path there is refused as
the JSON API refuses it (tools/model/reference.py's local-paths policy, carried into the assistant's worker
thread), unless the server was started with --allow-local-paths."""

from __future__ import annotations

import pytest
from modelmath.plugin.web.app import WebConfig, build_app
from starlette.testclient import TestClient
from test_app import BASE, events


@pytest.mark.parametrize("allowed", [False, True])
def test_ask_tool_calls_follow_the_servers_local_paths_policy(standin_env, allowed):
    standin_env.play("local_path_call")
    client = TestClient(build_app(WebConfig(allow_local_paths=allowed)), base_url=BASE)
    got = events(client.post("/api/ask", json={"question": "How many parameters has /etc?"}))
    tool = next(d for e, d in got if e == "tool")
    assert tool["name"] == "parameter_count" and tool["is_error"] is True
    message = tool["result"]["error"]["message"]
    if allowed:  # read, and found to be no checkpoint: the file system was consulted
        assert "/etc has no config.json" in message
    else:  # refused before anything was read
        assert "local paths are not accepted over HTTP" in message and tool["result"]["error"]["field"] == "model"
    assert got[-1][0] == "done"
