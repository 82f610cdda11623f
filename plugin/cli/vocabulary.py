"""One command-line vocabulary: the flag for each tool input, the same in every command.

Commands derived from the registry name an option after its tool input (`overhead_gib` → `--overhead-gib`)
unless the input is listed here. This is the only rename table: a flag means one input everywhere (`--gpus`
is a GPU count in `fit`, `speed`, `train-memory`, `train-compute` and `self-host`; `--batch` is the number
of concurrent sequences), and a new tool input that reuses a name below gets the same flag without further
work. tests/plugin/cli/test_vocabulary.py checks that no flag names two inputs and that README.md lists
this table.
"""

from __future__ import annotations

import re

# tool input → flag (without the leading dashes). Nested architecture fields use "architecture.<field>";
# "a/b" makes a boolean pair (--tied / --untied).
FLAGS: dict[str, str] = {
    "context_tokens": "context",
    "batch_size": "batch",
    "weight_dtype": "weights",
    "gpu_count": "gpus",
    "gpus": "gpu",  # a list of GPU names: --gpu h100 --gpu a100, or --gpu h100,a100
    "prompt_tokens": "prompt",
    "training_tokens": "tokens",
    "gradient_checkpointing": "checkpointing",
    "batch": "batch-api",  # the Batch API discount (a yes/no), not a batch size
    "architecture.tied_embeddings": "tied/untied",
}

# Spellings of the previous release (old flag → tool input). Each stays accepted for one more release,
# hidden from --help, with a note on stderr, in every command that has that input and does not use the
# old spelling for something else now (e.g. `cost --batch` still means --batch-api there).
OLD_FLAGS: dict[str, str] = {
    "gpu-count": "gpu_count",
    "seq": "context_tokens",
    "micro-batch": "batch_size",
    "gpu-usd-per-hour": "usd_per_gpu_hour",
    "batch": "batch",
    "output": "output_tokens",  # speed --output, briefly on main before this table
}


def flag_for(name: str) -> str:
    """The flag of a tool input (or of a nested field, given as 'architecture.<field>')."""
    if name in FLAGS:
        return FLAGS[name]
    return name.rsplit(".", 1)[-1].replace("_", "-")


_TOOL_REF = re.compile(r"`([a-z]+_[a-z_]+)`")


def speak_commands(text: str) -> str:
    """A tool named in a result or error (`hardware_fit`) becomes the command that runs it (`modelmath fit`)."""
    if not _TOOL_REF.search(text):
        return text
    from modelmath.tools.registry import tools

    commands = {t.name: t.cli.command for t in tools() if t.cli is not None}
    return _TOOL_REF.sub(lambda m: f"`modelmath {commands[m.group(1)]}`" if m.group(1) in commands else m.group(0),
                         text)


def speak_flags(message: str, names: dict[str, str]) -> str:
    """A tool's error message in the command's words: input names (`gpu_count`, `architecture.layers`)
    become their flags (`--gpus`, `--layers`). Only names with an underscore or a dot are replaced: one-word
    names read the same either way and may be ordinary words in the sentence."""
    wanted = sorted((n for n in names if "_" in n or "." in n), key=len, reverse=True)
    if not wanted:
        return message
    pattern = re.compile(r"(?<![\w.-])(" + "|".join(map(re.escape, wanted)) + r")(?![\w-])")
    return pattern.sub(lambda m: "--" + names[m.group(1)].split("/")[0], message)
