// A calculator page: the form (generated from the tool's schema) → POST /api/tools/NAME → the result.
"use strict";

(() => {
  const form = document.getElementById("tool-form");
  const out = document.getElementById("tool-result");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    MM.clearErrors(form);
    const { input, problems } = MM.formInput(form);
    problems.forEach(([path, msg]) => MM.showError(form, path, msg));
    if (problems.length) return;
    out.setAttribute("aria-busy", "true");
    let reply;
    try {
      reply = await MM.post("/api/tools/" + encodeURIComponent(form.dataset.tool), input);
    } catch (e) {
      reply = { status: 0, data: { error: { message: "cannot reach the modelmath server: is it still running?" } } };
    }
    out.setAttribute("aria-busy", "false");
    if (reply.status !== 200) {
      MM.showToolError(form, reply.data);
      out.innerHTML = "";
      return;
    }
    out.innerHTML = "<h2>Result</h2>" + MM.renderValue(reply.data) +
      `<details><summary>JSON</summary><pre>${MM.esc(JSON.stringify(reply.data, null, 2))}</pre></details>` +
      `<details><summary>The same from a program</summary><pre>${MM.esc("curl -X POST -H 'Content-Type: application/json' " +
        location.origin + "/api/tools/" + form.dataset.tool + " -d '" + JSON.stringify(input).replace(/'/g, "'\\''") + "'")}</pre></details>`;
  });
})();
