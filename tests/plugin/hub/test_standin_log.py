"""The stand-in Hub's request log is complete by the time a client holds the response.

tests/plugin/hub/test_remote.py::test_second_answer_comes_from_the_cache clears the log between two reads and
asserts the second made one request. The stand-in used to log after writing the body, so under load the first
read's last Range request could be appended after the clear and show up as the second read's (the test then
failed in full runs only). Here a slow log makes that window wide: the entry must be there all the same.
"""

from __future__ import annotations

import time
import urllib.request


def test_a_request_is_logged_before_its_response_arrives(hub, monkeypatch):
    fast_log = hub.log

    def slow_log(req):
        time.sleep(0.3)  # a server thread descheduled between sending and logging, as on a loaded CI machine
        fast_log(req)

    monkeypatch.setattr(hub, "log", slow_log)
    with urllib.request.urlopen(f"{hub.url}/api/agent-harnesses", timeout=10) as r:
        body = r.read()
    assert body and [req.path for req in hub.requests] == ["/api/agent-harnesses"]
