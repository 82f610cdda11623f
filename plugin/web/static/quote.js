// The quote page: recompute on every change (debounced), keep the address bar a link to this quote, and
// offer the result as plain text, Markdown and CSV.
"use strict";

(() => {
  const form = document.getElementById("quote-form");
  const result = document.getElementById("quote-result");
  const status = document.getElementById("copy-status");
  const preview = document.getElementById("customer-text");
  const live = document.getElementById("quote-live");
  let latest = null, timer = null, seq = 0;

  function queryFrom(input) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(input)) {
      if (Array.isArray(v)) v.forEach((x) => q.append(k, x));
      else if (v !== null && typeof v !== "object") q.set(k, String(v));
    }
    return q.toString();
  }

  async function update() {
    const mine = ++seq;
    MM.clearErrors(form);
    const { input, problems } = MM.formInput(form);
    problems.forEach(([path, msg]) => MM.showError(form, path, msg));
    if (problems.length) return;
    history.replaceState(null, "", "?" + queryFrom(input));
    if (input.input_tokens === undefined || input.output_tokens === undefined) {
      latest = null;
      result.innerHTML = '<p class="placeholder">Fill in the input and output tokens per request: the price appears here.</p>';
      return;
    }
    result.setAttribute("aria-busy", "true");
    let reply;
    try {
      reply = await MM.post("/api/quote", input);
    } catch (e) {
      reply = { status: 0, data: { error: { message: "cannot reach the modelmath server: is it still running?" } } };
    }
    if (mine !== seq) return;  // a newer change is on its way
    result.setAttribute("aria-busy", "false");
    if (reply.status !== 200) {
      latest = null;
      MM.showToolError(form, reply.data);
      result.innerHTML = '<p class="placeholder">No quote: correct the field marked in the form.</p>';
      return;
    }
    latest = reply.data;
    result.innerHTML = latest.html;
    // One short sentence for screen readers, not the whole table on every keystroke.
    live.textContent = "Quote updated: " + document.getElementById("quote-headline").textContent;
    preview.value = latest.text;
  }

  function schedule() { clearTimeout(timer); timer = setTimeout(update, 250); }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  form.addEventListener("submit", (ev) => { ev.preventDefault(); clearTimeout(timer); update(); });

  async function copy(text, what) {
    if (!latest) { status.textContent = "Fill in the form first: there is no quote yet."; return; }
    preview.value = text;
    try {
      await navigator.clipboard.writeText(text);
      status.textContent = `Copied the quote as ${what}.`;
    } catch (e) {  // no clipboard access (e.g. not localhost over http): select it for Ctrl+C
      preview.focus();
      preview.select();
      status.textContent = "Your browser did not allow copying: the text is selected below, press Ctrl+C (⌘C).";
    }
  }

  document.getElementById("copy-text").addEventListener("click", () => copy(latest && latest.text, "plain text"));
  document.getElementById("copy-markdown").addEventListener("click", () => copy(latest && latest.markdown, "Markdown"));
  document.getElementById("copy-link").addEventListener("click", async () => {
    try { await navigator.clipboard.writeText(location.href); status.textContent = "Copied a link to this quote."; }
    catch (e) { status.textContent = "Copy this page's address: " + location.href; }
  });
  document.getElementById("download-csv").addEventListener("click", () => {
    if (!latest) { status.textContent = "Fill in the form first: there is no quote yet."; return; }
    const url = URL.createObjectURL(new Blob([latest.csv], { type: "text/csv" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = "claude-quote-" + latest.result.model + ".csv";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    status.textContent = "Downloaded the quote as CSV.";
  });

  // A page opened from a link already shows the quote (rendered on the server); fetch the copyable forms.
  if (form.querySelector("[data-path=input_tokens]").value && form.querySelector("[data-path=output_tokens]").value) update();
})();
