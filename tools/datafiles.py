"""The packaged catalogs (tools/data/*.json), read from a plain path beside this module: they sit there in
every install (wheel or editable), and importlib.resources would cost the CLI start-up time."""

from __future__ import annotations

import json
import os

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def read_json(name: str, **kwargs):
    """Parse one packaged data file; `kwargs` go to json.load (e.g. parse_float=Decimal for prices)."""
    with open(os.path.join(DATA_DIR, name), encoding="utf-8") as f:
        return json.load(f, **kwargs)
