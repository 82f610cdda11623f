"""Reading models that are not in the catalog: Hugging Face Hub repositories (config.json and tensor headers,
never weights) and local checkpoints (a directory with config.json + safetensors, or a .gguf file).

`install()` registers `read_reference` as the reference reader of tools/model/resolve.py; the CLI, the MCP
server and the agent call it at start-up. Importing this package costs nothing: huggingface_hub is imported
only when a Hub reference is actually read, so catalog answers keep their cold start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from modelmath.tools.model.checkpoint import Checkpoint
    from modelmath.tools.model.reference import ModelRef


def read_reference(ref: ModelRef) -> Checkpoint | None:
    """Local path first (it exists), then the Hub; None for a bare name that is no local path."""
    from . import local

    found = local.read_if_exists(ref)
    if found is not None or ref.kind == "name":
        return found
    if ref.kind == "path":
        return local.read_path(ref.text)  # raises: no such file or directory
    from . import remote

    return remote.read_hub(ref)


def install() -> None:
    from modelmath.tools.model.resolve import set_reference_reader

    set_reference_reader(read_reference)
