// modelmath web: shared helpers. Plain script, no build step. Forms are generated on the server from the
// tools' schemas; each control carries data-path (where its value goes in the tool's JSON input) and
// data-type (how to read it). The server validates everything and names the field that was wrong.
"use strict";

const MM = (() => {
  // -- access token (only when the server was started with --token) ----------------------------------
  const TOKEN_KEY = "modelmath-token";
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get("token")) {
    sessionStorage.setItem(TOKEN_KEY, hash.get("token"));
    history.replaceState(null, "", location.pathname + location.search);
  }

  function headers() {
    const h = { "Content-Type": "application/json", "Accept": "application/json" };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) h["Authorization"] = "Bearer " + token;
    return h;
  }

  function askForToken() {
    const form = document.getElementById("token-form");
    if (!form) return;
    form.hidden = false;
    document.getElementById("access-token").focus();
    form.onsubmit = (ev) => {
      ev.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, document.getElementById("access-token").value.trim());
      form.hidden = true;
      location.reload();
    };
  }

  // POST JSON; resolves to {status, data} (data: parsed JSON body), or the raw Response when raw is set.
  async function post(path, body, { raw = false, signal } = {}) {
    const res = await fetch(path, { method: "POST", headers: headers(), body: JSON.stringify(body), signal });
    if (res.status === 401) askForToken();
    if (raw) return res;
    let data = null;
    try { data = await res.json(); } catch (e) { data = { error: { message: "the server sent no JSON (" + res.status + ")" } }; }
    return { status: res.status, data };
  }

  // -- reading a generated form ---------------------------------------------------------------------
  const SUFFIX = { "": 1, k: 1e3, m: 1e6, b: 1e9, g: 1e9, t: 1e12, ki: 1024, mi: 1048576, gi: 1073741824 };

  // "10,000" → 10000, "1.5k" → 1500, "32Ki" → 32768 (the CLI's rules); null when it is not a number. A comma,
  // space or underscore groups digits only before exactly three of them: "1,5" (a decimal comma) is refused,
  // not read as 15 (forms.py ungroup, the same rule for links).
  function parseNumber(text) {
    const t = text.trim().replace(/(\d)[,_ ](?=\d{3}(?!\d))/g, "$1");
    const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*([a-z]{0,2})$/i.exec(t);
    if (!m || !(m[2].toLowerCase() in SUFFIX)) return null;
    const value = Number(m[1]) * SUFFIX[m[2].toLowerCase()];
    return Number.isFinite(value) ? Math.round(value * 1e6) / 1e6 : null;
  }

  function setPath(obj, path, value) {
    const keys = path.split(".");
    let o = obj;
    for (const k of keys.slice(0, -1)) o = (o[k] = o[k] || {});
    o[keys[keys.length - 1]] = value;
  }

  // The form as the tool's JSON input: {input, problems} (problems: [[path, message]] found before sending).
  function formInput(form) {
    const input = {}, problems = [];
    for (const el of form.querySelectorAll("[data-path]")) {
      const path = el.dataset.path, type = el.dataset.type, text = (el.value || "").trim();
      if (type === "boolean") { if (el.checked) setPath(input, path, true); continue; }
      if (type === "array-select") {
        if (text) { const list = path.split(".").reduce((o, k) => o && o[k], input) || []; list.push(text); setPath(input, path, list); }
        continue;
      }
      if (!text) continue;
      if (type === "integer" || type === "number") {
        const n = parseNumber(text);
        setPath(input, path, n === null ? text : n);  // text: the server says what is wrong with it
      } else if (type === "array") {
        const items = text.split(",").map((s) => s.trim()).filter(Boolean);
        const itemType = el.dataset.items;
        setPath(input, path, items.map((s) => (itemType === "integer" || itemType === "number") && parseNumber(s) !== null ? parseNumber(s) : s));
      } else if (type === "json") {
        try { setPath(input, path, JSON.parse(text)); } catch (e) { problems.push([path, "this is not valid JSON: " + e.message]); }
      } else {
        setPath(input, path, text);
      }
    }
    return { input, problems };
  }

  // -- showing errors next to the field they name ------------------------------------------------------
  function clearErrors(form) {
    for (const el of form.querySelectorAll(".field-error")) el.textContent = "";
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    const general = form.querySelector(".form-error");
    if (general) general.textContent = "";
  }

  function showError(form, path, message) {
    const tool = form.dataset.tool;
    const el = path ? form.querySelector(`[data-path="${CSS.escape(path)}"]`) : null;
    const slot = path ? document.getElementById(`${tool}-${path.replace(/[^A-Za-z0-9_-]/g, "-")}-error`) : null;
    if (el) el.setAttribute("aria-invalid", "true");
    if (slot) { slot.textContent = message; return; }
    const general = form.querySelector(".form-error");
    if (general) general.textContent = message;
  }

  // An error whose `see` names a lookup tool ends with a pointer meant for Claude or an MCP client ("; gpu_lookup
  // with no gpu lists every GPU", tools/errors.py TOOL_HINTS); here it becomes the page that lists the catalog.
  const SEE = {
    gpu_lookup: "the GPU catalog on the Calculators page lists every GPU",
    model_lookup: "the model catalog on the Calculators page lists every model",
  };

  function errorMessage(e) {
    let message = (e && e.message) || "something went wrong";
    if (e && e.see) {
      const cut = message.lastIndexOf("; ");
      message = (cut >= 0 ? message.slice(0, cut) : message) + (SEE[e.see] ? "; " + SEE[e.see] : "");
    }
    return message;
  }

  function showToolError(form, data) {
    const e = (data && data.error) || { message: "something went wrong" };
    let message = errorMessage(e);
    if (!e.see) {  // with `see`, the message already names the close matches, as the CLI shows it
      if (Array.isArray(e.allowed) && e.allowed.length) message += " (allowed: " + e.allowed.join(", ") + ")";
      else if (typeof e.allowed === "string") message += " (" + e.allowed + ")";
    }
    showError(form, e.field || null, message);
  }

  // -- small safe renderers ------------------------------------------------------------------------------
  function esc(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  function inline(s) {  // already escaped text → bold, code, links
    return s.replace(/`([^`]+)`/g, "<code>$1</code>")
      .replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>")
      .replace(/(https?:\/\/[^\s<)]+)/g, '<a href="$1" rel="noopener noreferrer">$1</a>');
  }

  // Markdown as the assistant writes it (headings, lists, tables, bold, code), escaped first.
  function markdown(text) {
    const out = [];
    let list = null, table = null, para = [];
    const flush = () => {
      if (para.length) { out.push("<p>" + inline(para.join(" ")) + "</p>"); para = []; }
      if (list) { out.push(`<${list.tag}>` + list.items.map((i) => "<li>" + inline(i) + "</li>").join("") + `</${list.tag}>`); list = null; }
      if (table) {
        const rows = table.filter((r) => !/^\s*\|?\s*:?-{2,}/.test(r)).map((r) => r.replace(/^\s*\||\|\s*$/g, "").split("|").map((c) => inline(c.trim())));
        const [head, ...body] = rows;
        out.push("<table><thead><tr>" + head.map((c) => `<th scope="col">${c}</th>`).join("") + "</tr></thead><tbody>" +
          body.map((r) => "<tr>" + r.map((c) => `<td>${c}</td>`).join("") + "</tr>").join("") + "</tbody></table>");
        table = null;
      }
    };
    for (const rawLine of esc(text).split("\n")) {
      const line = rawLine.trimEnd();
      let m;
      if (/^\s*\|/.test(line)) { if (!table) { flush(); table = []; } table.push(line); continue; }
      if (table) flush();
      if (!line.trim() || /^```/.test(line)) { flush(); continue; }
      if ((m = /^(#{1,6})\s+(.*)$/.exec(line))) { flush(); const n = Math.min(m[1].length + 2, 6); out.push(`<h${n}>${inline(m[2])}</h${n}>`); continue; }
      if ((m = /^\s*(?:[-*•]|(\d+)\.)\s+(.*)$/.exec(line))) {
        const tag = m[1] ? "ol" : "ul";
        if (para.length || (list && list.tag !== tag)) flush();
        if (!list) list = { tag, items: [] };
        list.items.push(m[2]);
        continue;
      }
      if (list) flush();
      para.push(line.trim());
    }
    flush();
    return out.join("");
  }

  // Any tool result as readable HTML: key/value rows, lists of objects as tables, string lists as lists.
  function renderValue(v, depth = 0) {
    if (v === null || v === undefined) return "<span class=muted>—</span>";
    if (typeof v === "number") return esc(Number.isInteger(v) ? v.toLocaleString("en-US") : String(v));
    if (typeof v !== "object") return esc(v);
    if (Array.isArray(v)) {
      if (!v.length) return "<span class=muted>none</span>";
      if (v.every((x) => x === null || typeof x !== "object")) return "<ul>" + v.map((x) => "<li>" + renderValue(x) + "</li>").join("") + "</ul>";
      if (v.every((x) => x && typeof x === "object" && !Array.isArray(x))) {
        const keys = [...new Set(v.flatMap((x) => Object.keys(x)))];
        return "<div class=scroll><table><thead><tr>" + keys.map((k) => `<th scope="col">${esc(k)}</th>`).join("") + "</tr></thead><tbody>" +
          v.map((x) => "<tr>" + keys.map((k) => "<td>" + renderValue(x[k], depth + 1) + "</td>").join("") + "</tr>").join("") + "</tbody></table></div>";
      }
      return "<ul>" + v.map((x) => "<li>" + renderValue(x, depth + 1) + "</li>").join("") + "</ul>";
    }
    const rows = Object.entries(v).map(([k, x]) => `<tr><th scope="row">${esc(k)}</th><td>${renderValue(x, depth + 1)}</td></tr>`).join("");
    return `<table class="kv">${rows}</table>`;
  }

  return { post, formInput, clearErrors, showError, showToolError, errorMessage, esc, markdown, renderValue,
           parseNumber };
})();
