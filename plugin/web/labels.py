"""Plain-language labels and hints for tool inputs, for people who explain prices rather than compute them.

The forms are generated from the registry's schemas; this table only words them. A field missing here still
gets a form control, labelled from its name and described by its schema description, so a new input added
to a tool shows up on its page without touching this file.
"""

from __future__ import annotations

# field name → (label, hint). Per-tool entries (tool, field) win over plain field names.
FIELDS: dict[str | tuple[str, str], tuple[str, str]] = {
    # api_cost: the quote page
    ("api_cost", "model"): ("Claude model", "Current models first; older, deprecated and retired ones below."),
    "input_tokens": ("Input tokens per request",
                     "Everything sent to Claude in one request: instructions, documents, the conversation so far. "
                     "About 1,000 tokens is 750 words of English."),
    "output_tokens": ("Output tokens per request", "The length of Claude's reply."),
    "requests_per_day": ("Requests per day", "Leave empty for the cost of one request."),
    "requests_per_month": ("Requests per month", "Instead of requests per day."),
    "days_per_month": ("Days in a month", "30 if left empty."),
    "cache_read_tokens": ("Input tokens read from the prompt cache",
                          "The part of the input Claude has seen recently and reads back at a lower price."),
    "cache_write_tokens": ("Input tokens written to the prompt cache",
                           "The part of the input stored so later requests can reuse it."),
    "cache_ttl": ("How long the cache keeps them", "5 minutes if not chosen."),
    "batch": ("Batch API (answers come back later, at a discount)",
              "A discount on every token price; the quote says how much."),
    ("api_cost", "compare"): ("Compare with", "Up to three more models, priced for the same workload."),
    "as_of": ("Prices and model status on this date", "Today if left empty."),
    "inference_geo": ("Where the request is processed",
                      "United States only is priced higher (the quote says how much) and exists on Claude 4.6 and "
                      "later models only."),
    "fast": ("Fast mode", "Faster output at a higher price, on models that offer it."),
    "web_searches": ("Web searches per request",
                     "Charged per search; the search results Claude reads count as input tokens."),
    "code_execution_hours": ("Code execution hours per request", "Container time for Claude's code tool."),
    "tools_in_request": ("The request includes tool definitions",
                         "Adds the model's tool-use system prompt to the input tokens."),
    ("api_cost", "tool_choice"): ("How Claude may use the tools",
                                  "Only with the box above ticked. Most requests let Claude decide."),
    # other calculators: these readers know the terms, so labels stay close to the field names
    ("self_hosting_cost", "claude_model"): ("Claude model to compare with", "The current Sonnet if not chosen."),
    "gpu_usd_per_hour": ("GPU price ($ per GPU-hour)", ""),
    "usd_per_gpu_hour": ("GPU price ($ per GPU-hour)", ""),
    "hf_config": ("Hugging Face config.json", "Paste the file's contents (JSON)."),
    "architecture": ("Architecture (explicit shape)", ""),
    "model": ("Model", "A catalog name or a Hugging Face repo id."),
}

ENUM_LABELS: dict[str, dict[str, str]] = {
    "cache_ttl": {"5m": "5 minutes", "1h": "1 hour"},
    "inference_geo": {"global": "Anywhere (global)", "us": "United States only"},
    "tool_choice": {"auto": "Claude decides (auto)", "none": "No tool use (none)", "any": "Must use a tool (any)",
                    "tool": "Must use one named tool (tool)"},
}

# The quote page shows these first; every other api_cost input goes under "More options".
QUOTE_PRIMARY = ("model", "input_tokens", "output_tokens", "requests_per_day")
QUOTE_COMPARE_SLOTS = 3  # with the main model: up to 4 side by side

# Plain names for tool calls shown in the chat ("how we computed this").
TOOL_TITLES = {
    "api_cost": "Claude API cost calculator",
    "self_hosting_cost": "Self-hosting cost calculator",
    "count_tokens": "Token counter",
    "parameter_count": "Parameter counter",
    "kv_cache": "KV cache calculator",
    "memory_estimate": "Memory calculator",
    "model_lookup": "Model catalog",
    "gpu_lookup": "GPU catalog",
    "hardware_fit": "Hardware fit calculator",
    "speed_estimate": "Speed estimator",
    "training_memory": "Training memory calculator",
    "training_compute": "Training compute calculator",
}


def humanize(name: str) -> str:
    words = name.replace("_", " ").strip()
    for short, long in (("usd", "USD"), ("gpu", "GPU"), ("gpus", "GPUs"), ("kv", "KV"), ("gib", "GiB"),
                        ("gb", "GB"), ("mfu", "MFU"), ("lora", "LoRA"), ("tflops", "TFLOP/s"), ("mla", "MLA")):
        words = " ".join(long if w == short else w for w in words.split(" "))
    return words[:1].upper() + words[1:]


def label(tool: str, name: str) -> tuple[str, str]:
    """(label, hint) for an input; the hint is empty when the schema description should be used."""
    return FIELDS.get((tool, name)) or FIELDS.get(name) or (humanize(name), "")


def tool_title(name: str) -> str:
    return TOOL_TITLES.get(name) or humanize(name)
