"""The assistant's eval set: questions.json (hand-derived expected figures with their sources) and the scorer
(score.py). `modelmath eval` runs and scores it (plugin/assistant/evalcmd.py)."""

from __future__ import annotations

import json
import os

QUESTIONS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "questions.json")


def load_questions() -> list[dict]:
    with open(QUESTIONS_FILE, encoding="utf-8") as f:
        return json.load(f)["questions"]
