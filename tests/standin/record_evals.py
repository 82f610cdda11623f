"""Re-record the stand-in eval transcripts the scorer is tested on: `python tests/standin/record_evals.py`.

Starts the stand-in server (tests/standin/eval_scenarios.py) and runs `modelmath eval --live` against it twice:
careful answers into evals/transcripts/standin-good/, deliberately wrong ones into evals/transcripts/standin-bad/.
Every transcript is labelled as a stand-in recording, not Claude. Then runs the scorer tests.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from standin.eval_scenarios import BAD, EVAL_SCENARIOS, GOOD  # noqa: E402
from standin.server import StandIn  # noqa: E402

if __name__ == "__main__":
    with StandIn(EVAL_SCENARIOS) as server:
        for mode, scripts in (("good", GOOD), ("bad", BAD)):
            out = ROOT / "evals" / "transcripts" / f"standin-{mode}"
            shutil.rmtree(out, ignore_errors=True)
            server.play(f"eval_{mode}")
            env = {**os.environ, "ANTHROPIC_BASE_URL": server.url, "ANTHROPIC_API_KEY": "sk-ant-replay-not-a-real-key",
                   "MODELMATH_MODEL": "claude-sonnet-5-5", "MODELMATH_NO_LOG": "1"}
            env.pop("MODELMATH_PRICES", None)
            label = f"stand-in server (tests/standin/eval_scenarios.py, eval_{mode}), not Claude"
            subprocess.call([sys.executable, "-m", "modelmath.plugin.cli", "eval", "--live", "--only",
                             ",".join(scripts), "--out", str(out), "--label", label], cwd=ROOT, env=env)
    sys.exit(subprocess.call([sys.executable, "-m", "pytest", "-q", "tests/evals"], cwd=ROOT))
