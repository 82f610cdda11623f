"""Re-record every assistant cassette from the stand-in server: `python tests/standin/record.py`.

Runs the cassette tests with MODELMATH_RECORD=standin and --record-mode=rewrite (extra arguments go to
that pytest run, e.g. `-k one_tool`), then replays all of them as CI does. To record from the real API
instead, see cassettes/README.md.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ["tests/plugin/assistant/test_agent.py", "tests/plugin/assistant/test_cli.py",
         "tests/plugin/assistant/test_thinking.py", "tests/plugin/assistant/test_logs.py", "tests/evals/test_evals.py"]

if __name__ == "__main__":
    env = {**os.environ, "MODELMATH_RECORD": "standin"}
    env.pop("ANTHROPIC_API_KEY", None)  # the stand-in takes a dummy key; never write a real one anywhere
    check = "tests/plugin/assistant/test_agent.py::test_no_cassette_holds_a_secret_or_a_per_machine_header"
    cmd = [sys.executable, "-m", "pytest", *TESTS, "--record-mode=rewrite", "--deselect", check, *sys.argv[1:]]
    rc = subprocess.call(cmd, cwd=ROOT, env=env)
    # Then replay everything from the new cassettes, scrub check included, as CI will.
    env.pop("MODELMATH_RECORD")
    sys.exit(rc or subprocess.call([sys.executable, "-m", "pytest", *TESTS], cwd=ROOT, env=env))
