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


def read_reference(ref: ModelRef, local_paths: bool = True) -> Checkpoint | None:
    """Local path first (it exists), then the Hub; None for a bare name that is no local path. With
    `local_paths` False (a network caller) the file system is not consulted at all: a bare name is None,
    `org/name` goes to the Hub even if such a folder exists here, and a path is refused."""
    from modelmath.tools.model.reference import local_path_refused

    from . import local

    if not local_paths:
        if ref.kind == "path":
            raise local_path_refused(ref.text)  # resolve.py refuses first; this keeps the reader safe alone
        if ref.kind == "name":
            return None
    else:
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
