// The Ask page: POST /api/ask and read its server-sent events as they arrive (text, one event per tool call,
// then the finished answer with its usage, reproduce commands and sources).
"use strict";

(() => {
  const form = document.getElementById("ask-form");
  const question = document.getElementById("question");
  const conversation = document.getElementById("conversation");
  const askButton = document.getElementById("ask-button");
  const stopButton = document.getElementById("stop-button");
  let conversationId = sessionStorage.getItem("modelmath-conversation");
  let controller = null;
  const titles = JSON.parse(conversation.dataset.titles || "{}");

  const shellQuote = (s) => "'" + s.replace(/'/g, "'\\''") + "'";
  const reproduce = (call) => call.command || `modelmath run-tool ${call.name} ${shellQuote(JSON.stringify(call.input))}`;
  const money = (x) => (x === null || x === undefined) ? "unknown" : "$" + (x >= 1 ? x.toFixed(2) : x.toPrecision(2));

  function toolDetails(call) {
    const title = titles[call.name] || call.name;
    const el = document.createElement("details");
    el.className = "computed";
    const asked = Object.entries(call.input || {}).map(([k, v]) =>
      `<li><code>${MM.esc(k)}</code>: ${MM.esc(typeof v === "object" ? JSON.stringify(v) : v)}</li>`).join("");
    let found;
    if (call.is_error) {
      found = `<p>The calculator did not accept this: ${MM.esc(MM.errorMessage(call.result.error))}. Claude corrected the input and asked again.</p>`;
    } else {
      const r = call.result || {};
      const key = r.display || Object.fromEntries(Object.entries(r).filter(([, v]) => v === null || typeof v !== "object").slice(0, 8));
      found = MM.renderValue(key) + (Array.isArray(r.assumptions) ? "<p>Assumptions:</p>" + MM.renderValue(r.assumptions) : "");
    }
    el.innerHTML = `<summary>How we computed this: ${MM.esc(title)}</summary>
      <h4>What Claude asked the calculator</h4><ul>${asked || "<li>(no inputs)</li>"}</ul>
      <h4>What it answered</h4>${found}
      <p>Reproduce: <code class="command">${MM.esc(reproduce(call))}</code></p>
      <details><summary>Full result (JSON)</summary><pre>${MM.esc(JSON.stringify(call.result, null, 2))}</pre></details>`;
    return el;
  }

  function footer(answer) {
    const parts = [];
    if (answer.notice) parts.push(`<p class="notice-line">${MM.esc(answer.notice)}</p>`);
    const calls = answer.tool_calls || [];
    if (calls.length) {
      parts.push("<h4>Reproduce</h4><ul class=reproduce>" + calls.map((c) => `<li><code class="command">${MM.esc(reproduce(c))}</code></li>`).join("") + "</ul>");
    }
    const sources = answer.sources || [];
    if (sources.length) {
      parts.push("<h4>Sources</h4><ul class=sources>" + sources.map((s) => {
        const src = MM.esc(s.source || "").replace(/(https?:\/\/[^\s<;,)]+)/g, '<a href="$1" rel="noopener noreferrer">$1</a>');
        return `<li>${MM.esc(s.name || "")}: ${src}${s.as_of ? " (as of " + MM.esc(s.as_of) + ")" : ""}</li>`;
      }).join("") + "</ul>");
    }
    const usage = answer.usage || {};
    parts.push(`<p class="small">${(usage.calls || []).length} API call(s) to ${MM.esc(answer.model || "")}, cost ${money(answer.cost_usd)}.</p>`);
    const el = document.createElement("footer");
    el.className = "answer-footer";
    el.innerHTML = parts.join("");
    return el;
  }

  function bubble(cls, html) {
    const el = document.createElement("article");
    el.className = cls;
    el.innerHTML = html;
    conversation.appendChild(el);
    return el;
  }

  function busy(on) {
    askButton.disabled = on;
    stopButton.hidden = !on;
    question.setAttribute("aria-busy", on ? "true" : "false");
  }

  async function ask(text) {
    bubble("question-bubble", `<h2 class="visually-hidden">You asked</h2><p>${MM.esc(text)}</p>`);
    const answer = bubble("answer", '<h2 class="visually-hidden">Answer</h2><p class="status muted" role="status">Working it out…</p><div class="text" aria-busy="true"></div><div class="tools"></div>');
    const textEl = answer.querySelector(".text"), toolsEl = answer.querySelector(".tools");
    const statusEl = answer.querySelector(".status");
    let written = "";
    controller = new AbortController();
    busy(true);
    const body = { question: text };
    if (conversationId) body.conversation = conversationId;
    try {
      const res = await MM.post("/api/ask", body, { raw: true, signal: controller.signal });
      if (!res.ok) {
        let msg = "the server answered " + res.status;
        try { msg = (await res.json()).error.message; } catch (e) { /* not JSON */ }
        textEl.innerHTML = `<p class="error">${MM.esc(msg)}</p>`;
        return;
      }
      const reader = res.body.getReader(), decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = (/^event: (.*)$/m.exec(block) || [])[1];
          const data = JSON.parse((/^data: (.*)$/m.exec(block) || [, "null"])[1]);
          if (event === "start") {
            conversationId = data.conversation;
            sessionStorage.setItem("modelmath-conversation", conversationId);
          } else if (event === "progress") {
            statusEl.textContent = data.kind === "tool_start" ? `Running the ${titles[data.name] || data.name}…`
              : data.label ? data.label[0].toUpperCase() + data.label.slice(1) + "…" : "";
          } else if (event === "text") {
            statusEl.textContent = "";
            written += data.text;
            textEl.innerHTML = MM.markdown(written);
          } else if (event === "tool") {
            toolsEl.appendChild(toolDetails(data));
          } else if (event === "done") {
            textEl.innerHTML = MM.markdown(data.answer || written) || "<p class=muted>(no answer text)</p>";
            answer.appendChild(footer(data));
          } else if (event === "error") {
            textEl.insertAdjacentHTML("beforeend", `<p class="error">${MM.esc(data.error.message)}</p>`);
          }
        }
      }
    } catch (e) {
      const msg = e.name === "AbortError" ? "Stopped." : "Lost the connection to the modelmath server: is it still running?";
      textEl.insertAdjacentHTML("beforeend", `<p class="error">${MM.esc(msg)}</p>`);
    } finally {
      statusEl.textContent = "";
      textEl.setAttribute("aria-busy", "false");
      busy(false);
      controller = null;
      question.focus();
    }
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = question.value.trim();
    if (!text || controller) return;
    question.value = "";
    ask(text);
  });
  question.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); form.requestSubmit(); }
  });
  stopButton.addEventListener("click", () => controller && controller.abort());
  document.getElementById("new-conversation").addEventListener("click", () => {
    conversationId = null;
    sessionStorage.removeItem("modelmath-conversation");
    conversation.innerHTML = "";
    question.focus();
  });
})();
