"""Forms generated from the registry's schemas: every input of every tool gets a labelled control named as the
schema names it, of the kind its type calls for; and a quote link's query string reads as the page's script
reads the form."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from modelmath.plugin.web import forms, pages
from modelmath.tools import registry


class Controls(HTMLParser):
    """Form controls, labels and fieldsets of an HTML page."""

    def __init__(self, html: str):
        super().__init__()
        self.controls: list[dict] = []
        self.label_for: set[str] = set()
        self.fieldsets: list[dict] = []
        self.options: dict[str, list[str]] = {}
        self._stack: list[dict] = []
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "fieldset":
            a["parents"] = [f.get("name") for f in self._stack]
            self.fieldsets.append(a)
            self._stack.append(a)
        elif tag in ("input", "select", "textarea"):
            a["tag"] = tag
            a["fieldset"] = self._stack[-1].get("name") if self._stack else None
            self.controls.append(a)
            if tag == "select":
                self._select = a.get("id")
                self.options[self._select] = []
        elif tag == "option" and self._select:
            self.options[self._select].append(a.get("value"))
        elif tag == "label" and "for" in a:
            self.label_for.add(a["for"])

    def handle_endtag(self, tag):
        if tag == "fieldset":
            self._stack.pop()
        elif tag == "select":
            self._select = None


def page_controls(tool: str) -> Controls:
    html = pages.quote_page({"model": "claude-sonnet-5-5"}, "", None, version="t") if tool == "api_cost" else \
        pages.calculator_page(tool, version="t")
    return Controls(html)


@pytest.mark.parametrize("tool", [t.name for t in registry.tools()])
def test_every_input_of_every_tool_has_a_labelled_control(tool):
    schema = registry.get_tool(tool).schema_for_validation
    page = page_controls(tool)
    tool_controls = [c for c in page.controls if c.get("data-path")]
    for name, prop in schema["properties"].items():
        if forms.field_kind(prop) == "object":  # a fieldset of its own inputs, checked below
            fs = next(f for f in page.fieldsets if f.get("name") == name)
            assert fs["data-object"] == name
            for sub in prop["properties"]:
                assert any(c["name"] == sub and c["data-path"] == f"{name}.{sub}" and c["fieldset"] == name
                           for c in tool_controls), (tool, name, sub)
            continue
        found = [c for c in tool_controls if c["name"] == name and c["data-path"] == name]
        assert found, (tool, name)
    for c in page.controls:
        if c.get("type") != "hidden":
            assert c.get("id") in page.label_for, (tool, c.get("name"), "has no <label for>")


def test_control_kinds_follow_the_schema():
    page = page_controls("training_memory")
    by_path = {c["data-path"]: c for c in page.controls if c.get("data-path")}
    method = by_path["method"]
    assert method["tag"] == "select" and page.options[method["id"]] == ["", "full", "lora", "qlora"]
    assert by_path["gradient_checkpointing"]["type"] == "checkbox"
    assert by_path["context_tokens"]["data-type"] == "integer" and by_path["context_tokens"]["inputmode"] == "numeric"
    assert by_path["lora_targets"]["data-type"] == "array" and by_path["lora_targets"]["data-items"] == "enum"
    assert by_path["hf_config"]["tag"] == "textarea" and by_path["hf_config"]["data-type"] == "json"
    assert by_path["architecture.ffn"]["tag"] == "select"
    assert by_path["architecture.tied_embeddings"]["type"] == "checkbox"
    assert by_path["architecture.layer_types"]["data-type"] == "array"
    assert by_path["model"]["list"] == "models-list"  # catalog names offered as suggestions


def test_quote_form_offers_the_price_catalog():
    page = page_controls("api_cost")
    model = next(c for c in page.controls if c.get("name") == "model")
    assert model["tag"] == "select"
    from modelmath.tools.pricing.prices import active_catalog

    ids = {e.id for e in active_catalog().entries}
    assert set(page.options[model["id"]]) == ids  # required: no blank choice
    compare = [c for c in page.controls if c.get("name") == "compare"]
    assert len(compare) == 3 and all(c["data-type"] == "array-select" for c in compare)
    assert set(page.options[compare[0]["id"]]) == ids | {""}


def test_new_schema_inputs_get_controls_without_code_changes():
    """Inputs a tool may add later (the pricing rules' as_of, inference_geo, fast, web_searches) are forms
    already: the generator reads types, not names."""
    schema = {"type": "object", "properties": {
        "as_of": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        "inference_geo": {"enum": ["global", "us"]},
        "fast": {"type": "boolean"},
        "web_searches": {"type": "integer", "minimum": 0},
        "code_execution_hours": {"type": "number", "minimum": 0},
        "brand_new_knob": {"type": "string", "description": "Something new."},
    }, "required": ["web_searches"]}
    html = forms.controls(forms.FormContext("api_cost"), schema)
    page = Controls(html)
    by = {c["name"]: c for c in page.controls}
    assert by["as_of"]["type"] == "date"
    assert by["inference_geo"]["tag"] == "select" and page.options[by["inference_geo"]["id"]] == ["", "global", "us"]
    assert "United States only" in html  # plain words for enum values
    assert by["fast"]["type"] == "checkbox"
    assert by["web_searches"]["data-type"] == "integer" and by["web_searches"]["aria-required"] == "true"
    assert by["code_execution_hours"]["data-type"] == "number"
    assert "Brand new knob" in html and "Something new." in html  # label from the name, hint from the schema
    assert all(c["id"] in page.label_for for c in page.controls)


def test_query_input_reads_numbers_as_people_write_them():
    schema = registry.get_tool("api_cost").schema_for_validation
    query = {"model": ["haiku-4.5"], "input_tokens": ["1,500"], "output_tokens": ["1.5k"], "requests_per_day": ["abc"],
             "batch": ["on"], "compare": ["opus-4.6", "sonnet-4.5,haiku-3"], "days_per_month": ["30.5"],
             "not_a_field": ["x"]}
    inp, values = forms.query_input(schema, lambda k: query.get(k, []))
    assert inp == {"model": "haiku-4.5", "input_tokens": 1500, "output_tokens": 1500, "requests_per_day": "abc",
                   "batch": True, "compare": ["opus-4.6", "sonnet-4.5", "haiku-3"], "days_per_month": 30.5}
    assert values["input_tokens"] == "1,500"  # shown back as typed
    # Text that is not a number goes to the tool as text, whose validation names the field.
    assert registry.run_tool("api_cost", inp).result["error"]["field"] == "requests_per_day"


def test_values_are_escaped():
    html = forms.controls(forms.FormContext("t", values={"x": '"><script>alert(1)</script>'}),
                          {"properties": {"x": {"type": "string"}}})
    assert "<script>" not in html and "&quot;&gt;&lt;script&gt;" in html


def test_every_lookup_hint_has_plain_words_on_the_pages():
    # app.js cuts an error's text after its last "; " when the error names a lookup tool (`see`) and puts the
    # page that lists the catalog there: every hint needs its words, and must be that last part.
    import re
    from pathlib import Path

    from modelmath.tools.errors import TOOL_HINTS

    js = (Path(forms.__file__).parent / "static" / "app.js").read_text(encoding="utf-8")
    table = js[js.index("const SEE = {"):js.index("};", js.index("const SEE = {"))]
    assert set(re.findall(r"^\s*(\w+):", table, re.M)) == set(TOOL_HINTS)
    for inp in ({"model": "llama-3.1-8b", "gpu": "h1000"}, {"model": "lama-9", "gpu": "h100"}):
        err = registry.run_tool("speed_estimate", inp).result["error"]
        assert err["message"].rsplit("; ", 1)[1] == TOOL_HINTS[err["see"]]
