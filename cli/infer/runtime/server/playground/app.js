// infer playground: a form from the model's metadata, a streamed answer read with fetch() and a
// small SSE parser, resumed with Last-Event-ID when the connection drops. No dependencies.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  // The event key holding the text, chosen like `infer stream` does (or its only string key).
  const TEXT_FIELD_PREFERENCE = ["OUT", "text", "generated_text", "token", "TEXT"];
  const HISTORY_KEY = "infer-playground-history";
  const HISTORY_MAX = 20;
  const GAP_BARS = 160;
  const GAP_HISTORY = 10000; // gaps kept for the percentiles
  const MAX_RECONNECTS = 5;
  const RAW_MAX_ITEMS = 5000;

  const page = { model: "", meta: null, mode: "form", run: null, fields: [] };

  // ---------------------------------------------------------------- SSE parsing (WHATWG rules)

  /** Feeds decoded text in, calls onEvent({id, event, data}) per event, onRetry(ms), onComment. */
  class SSEParser {
    constructor(handlers) {
      this.handlers = handlers;
      this.buffer = "";
      this.data = [];
      this.event = "";
      this.lastId = "";
      this.started = false;
    }

    feed(text) {
      let buffer = this.buffer + text;
      if (!this.started && buffer.length) {
        this.started = true;
        if (buffer[0] === "\uFEFF") buffer = buffer.slice(1);
      }
      let pos = 0;
      for (;;) {
        const lf = buffer.indexOf("\n", pos);
        const cr = buffer.indexOf("\r", pos);
        let end;
        let next;
        if (cr !== -1 && (lf === -1 || cr < lf)) {
          if (cr === buffer.length - 1) break; // a "\r\n" may be split across two chunks
          end = cr;
          next = buffer[cr + 1] === "\n" ? cr + 2 : cr + 1;
        } else if (lf !== -1) {
          end = lf;
          next = lf + 1;
        } else {
          break;
        }
        this.line(buffer.slice(pos, end));
        pos = next;
      }
      this.buffer = buffer.slice(pos);
    }

    line(line) {
      if (line === "") return this.dispatch();
      if (line[0] === ":") return this.handlers.onComment(line);
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? "" : line.slice(colon + 1);
      if (value[0] === " ") value = value.slice(1);
      if (field === "data") this.data.push(value);
      else if (field === "event") this.event = value;
      else if (field === "id" && !value.includes("\0")) this.lastId = value;
      else if (field === "retry" && /^\d+$/.test(value)) this.handlers.onRetry(Number(value));
      return undefined;
    }

    dispatch() {
      if (this.data.length === 0) {
        this.event = "";
        return;
      }
      const event = { id: this.lastId, event: this.event || "message", data: this.data.join("\n") };
      this.data = [];
      this.event = "";
      this.handlers.onEvent(event);
    }
  }

  // ---------------------------------------------------------------- small helpers

  const fmtMs = (ms) => (ms == null || !isFinite(ms) ? "—" : ms < 1000 ? `${ms.toFixed(ms < 10 ? 1 : 0)} ms` : `${(ms / 1000).toFixed(2)} s`);
  const fmtRate = (rate) => (rate == null || !isFinite(rate) ? "—" : rate >= 100 ? rate.toFixed(0) : rate.toFixed(1));
  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("aria-") || key.startsWith("data-") || key === "role" || key === "for") node.setAttribute(key, value);
      else node[key] = value;
    }
    for (const child of children) node.append(child);
    return node;
  };
  const shellQuote = (text) => (/^[A-Za-z0-9_\-.,:/=@%+]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`);
  const sleep = (ms, signal) =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
    });
  const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN);
  const modelUrl = (suffix = "") => `/v2/models/${encodeURIComponent(page.model)}${suffix}`;

  // ---------------------------------------------------------------- model metadata

  async function loadModel() {
    setModelState("connecting", "warn");
    for (;;) {
      try {
        if (!page.model) {
          const listing = await (await fetch("/v2/models")).json();
          page.model = listing.models[0].name;
          $("model-name").textContent = page.model;
          document.title = `${page.model} · infer playground`;
        }
        const response = await fetch(modelUrl());
        if (response.ok) {
          page.meta = await response.json();
          break;
        }
        setModelState("loading", "warn");
      } catch (error) {
        setModelState("server unreachable", "err");
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const kind = $("model-kind");
    kind.hidden = false;
    kind.textContent = page.meta.streaming ? "streaming" : "non-streaming";
    $("chart").hidden = !page.meta.streaming;
    buildForm(page.meta.inputs, exampleValues(page.meta.inputs));
    $("send").disabled = false;
    $("reset").disabled = false;
    await watchReady(page.meta.ready);
  }

  async function watchReady(ready) {
    while (!ready) {
      setModelState("loading (initialize() is running)", "warn");
      await new Promise((resolve) => setTimeout(resolve, 1000));
      try {
        ready = (await fetch(modelUrl("/ready"))).ok;
      } catch (error) {
        setModelState("server unreachable", "err");
      }
    }
    setModelState("ready", "ok");
  }

  function setModelState(text, tone) {
    const badge = $("model-state");
    badge.textContent = text;
    badge.className = `badge ${tone}`;
  }

  const exampleValues = (inputs) => Object.fromEntries(inputs.map((input) => [input.name, input.example || []]));

  // ---------------------------------------------------------------- the form

  // The kind of value a datatype holds: the platform's reference names (BOOL, INT8…UINT64,
  // FP16…BF16, BYTES) and the streaming page's (INT, BOOLEAN, STRING, FLOAT) alike.
  const kindOf = (input) => {
    const name = String(input.datatype).toUpperCase();
    if (name === "BOOL" || name === "BOOLEAN") return "BOOLEAN";
    if (/^U?INT(8|16|32|64)?$/.test(name)) return "INT";
    if (/^(FP16|FP32|FP64|BF16|FLOAT)$/.test(name)) return "FLOAT";
    return "STRING";
  };
  const isScalar = (input) => input.shape.length === 1 && input.shape[0] === 1;
  const fixedCount = (input) => (input.shape.length && input.shape.every((d) => d >= 0) ? input.shape.reduce((a, b) => a * b, 1) : null);

  function buildForm(inputs, values) {
    const container = $("fields");
    container.replaceChildren();
    page.fields = inputs.map((input, index) => {
      const field = makeField(input, index, values[input.name] || []);
      container.append(field.node);
      return field;
    });
    if (!inputs.length) container.append(el("p", { class: "muted", text: "This model takes no inputs." }));
    syncJsonFromForm();
  }

  function makeField(input, index, values) {
    const id = `in-${index}`;
    const errorId = `err-${index}`;
    const node = el("div", { class: "field", "data-input": input.name });
    const head = el("div", { class: "field-head" });
    const scalar = isScalar(input);
    const label = scalar
      ? el("label", { for: id, text: input.name })
      : el("span", { class: "label", id: `${id}-label`, text: input.name });
    head.append(label);
    if (input.required) head.append(el("span", { class: "req", "aria-hidden": "true", title: "required", text: "*" }));
    head.append(el("span", { class: "dtype", text: `${input.datatype} ${JSON.stringify(input.shape)}${input.required ? "" : " · optional"}` }));
    node.append(head);
    const error = el("p", { class: "field-error", id: errorId, role: "alert" });
    const field = { input, node, error, controls: [] };
    if (scalar) {
      const control = makeControl(input, id, values[0], `${input.name}`);
      control.setAttribute("aria-describedby", errorId);
      if (input.required) control.setAttribute("aria-required", "true");
      field.controls = [control];
      node.append(kindOf(input) === "BOOLEAN" ? el("div", { class: "check" }, control, el("span", { class: "muted", text: "true when checked" })) : control);
    } else {
      node.append(makeListEditor(field, id, values));
    }
    node.append(error);
    return field;
  }

  function makeControl(input, id, value, name) {
    let control;
    const kind = kindOf(input);
    if (kind === "BOOLEAN") {
      control = el("input", { type: "checkbox", id, checked: value === true });
    } else if (kind === "INT" || kind === "FLOAT") {
      control = el("input", { type: "number", id, step: kind === "INT" ? "1" : "any" });
      control.value = value == null ? "" : String(value);
      if (!input.required) control.placeholder = "empty: not sent";
    } else if (isScalar(input)) {
      control = el("textarea", { id, rows: input.required ? 4 : 2, spellcheck: true });
      control.value = value == null ? "" : String(value);
      if (!input.required) control.placeholder = "empty: not sent";
    } else {
      control = el("input", { type: "text", id });
      control.value = value == null ? "" : String(value);
    }
    control.dataset.name = name;
    return control;
  }

  function makeListEditor(field, id, values) {
    const { input } = field;
    const count = fixedCount(input);
    const editor = el("div", { class: "list-editor", role: "group", "aria-labelledby": `${id}-label`, "aria-describedby": `err-${id.slice(3)}` });
    const rows = el("div", { class: "list-editor" });
    editor.append(rows);
    const addRow = (value, focus) => {
      const position = field.controls.length;
      const control = makeControl(input, `${id}-${position}`, value, `${input.name}[${position}]`);
      control.setAttribute("aria-label", `${input.name} item ${position + 1}`);
      const row = el("div", { class: "list-row" }, el("span", { class: "index", "aria-hidden": "true", text: `${position}` }), control);
      if (count == null) {
        const remove = el("button", { type: "button", text: "Remove", "aria-label": `Remove ${input.name} item ${position + 1}` });
        remove.addEventListener("click", () => {
          field.controls = field.controls.filter((c) => c !== control);
          row.remove();
          renumber();
          syncJsonFromForm();
        });
        row.append(remove);
      }
      rows.append(row);
      field.controls.push(control);
      if (focus) control.focus();
    };
    const renumber = () => {
      rows.querySelectorAll(".list-row").forEach((row, i) => { row.firstChild.textContent = `${i}`; });
    };
    const initial = count == null ? values : Array.from({ length: count }, (_, i) => values[i]);
    initial.forEach((value) => addRow(value, false));
    if (count == null) {
      const add = el("button", { type: "button", class: "list-add", text: `+ Add ${input.datatype.toLowerCase()}` });
      add.addEventListener("click", () => { addRow(kindOf(input) === "BOOLEAN" ? false : "", true); syncJsonFromForm(); });
      editor.append(add);
    }
    return editor;
  }

  /** The v2 body from the form, or {problems} for values that cannot be sent at all. */
  function bodyFromForm() {
    const inputs = [];
    const problems = [];
    for (const field of page.fields) {
      const { input } = field;
      const data = [];
      for (const control of field.controls) {
        const kind = kindOf(input);
        if (kind === "BOOLEAN") data.push(control.checked);
        else if (kind === "INT" || kind === "FLOAT") {
          if (control.validity && control.validity.badInput) {
            problems.push({ name: input.name, message: `${control.dataset.name}: enter a number` });
          } else if (control.value.trim() !== "") data.push(Number(control.value));
          else if (!isScalar(input)) problems.push({ name: input.name, message: `${control.dataset.name}: enter a number or remove the item` });
        } else data.push(control.value);
      }
      // Optional inputs left empty are not sent; the model sees its own default.
      const empty = data.length === 0 || (isScalar(input) && kindOf(input) === "STRING" && data[0] === "");
      if (empty && !input.required) continue;
      if (isScalar(input) && data.length === 0) continue; // a required number left empty: the server says so
      inputs.push({ name: input.name, shape: isScalar(input) ? [1] : [data.length], datatype: input.wire_datatype, data });
    }
    return { body: { inputs }, problems };
  }

  function currentBody() {
    if (page.mode === "json") {
      try {
        return { body: JSON.parse($("json-body").value), problems: [] };
      } catch (error) {
        return { body: null, problems: [{ name: "json-body", message: `not valid JSON: ${error.message}` }] };
      }
    }
    return bodyFromForm();
  }

  function syncJsonFromForm() {
    const { body } = bodyFromForm();
    $("json-body").value = JSON.stringify(body, null, 2);
  }

  function fillForm(body) {
    const values = {};
    for (const entry of (body && body.inputs) || []) values[entry.name] = entry.data;
    buildForm(page.meta.inputs, Object.fromEntries(page.meta.inputs.map((i) => [i.name, values[i.name] || []])));
    $("json-body").value = JSON.stringify(body, null, 2);
  }

  // ---------------------------------------------------------------- field errors (422)

  function clearErrors() {
    for (const field of page.fields) {
      field.error.textContent = "";
      field.controls.forEach((c) => c.removeAttribute("aria-invalid"));
    }
    $("json-body-error").textContent = "";
    $("json-body").removeAttribute("aria-invalid");
    $("form-error").hidden = true;
  }

  /** Shows each problem at its field (or the field a "did you mean" names), else above Send. */
  function showProblems(problems) {
    const byName = new Map(page.fields.map((f) => [f.input.name, f]));
    const loose = [];
    let first = null;
    for (const problem of problems) {
      const suggested = /did you mean '([^']+)'/.exec(problem.message);
      const field = byName.get(problem.name) || (suggested && byName.get(suggested[1]));
      if (problem.name === "json-body" || page.mode === "json") {
        const target = $("json-body-error");
        target.textContent = [target.textContent, problem.message].filter(Boolean).join("\n");
        $("json-body").setAttribute("aria-invalid", "true");
        first = first || $("json-body");
      }
      if (field) {
        field.error.textContent = [field.error.textContent, problem.message].filter(Boolean).join("\n");
        field.controls.forEach((c) => c.setAttribute("aria-invalid", "true"));
        first = first || (page.mode === "form" ? field.controls[0] : null);
      } else if (page.mode === "form") {
        loose.push(problem.message);
      }
    }
    if (loose.length) {
      $("form-error").hidden = false;
      $("form-error").textContent = loose.join("\n");
    }
    if (first) first.focus();
  }

  // ---------------------------------------------------------------- one request's run

  class Run {
    constructor(body) {
      this.body = body;
      this.started = performance.now();
      this.controller = new AbortController();
      this.events = 0;
      this.lastId = 0; // the sequence number n of the last event shown
      this.lastEventId = ""; // that event's id exactly as sent ("<stream>:<n>"), for Last-Event-ID
      this.firstEventAt = null;
      this.lastEventAt = null;
      this.gaps = [];
      this.resumedAt = new Set();
      this.textField = null;
      this.streamId = null;
      this.resumeUrl = null;
      this.retryMs = 3000;
      this.reconnects = 0;
      this.stopping = false;
      this.ending = null; // {tone, text, summary}
      this.terminal = null;
      this.pending = "";
      this.doneInfo = null;
    }
  }

  async function send() {
    if (page.run && !page.run.ending) return;
    if (!page.meta) return;
    clearErrors();
    const { body, problems } = currentBody();
    if (problems.length) return showProblems(problems);
    if (page.mode === "form") syncJsonFromForm();
    const run = new Run(body);
    page.run = run;
    resetResponse(run);
    const ticker = setInterval(() => renderStats(run), 100);
    try {
      await execute(run);
    } catch (error) {
      if (!run.ending) finish(run, "err", `✕ ${error.message || error}`, "failed");
    } finally {
      clearInterval(ticker);
      renderStats(run);
      drawChart(run);
      $("send").disabled = false;
    $("reset").disabled = false;
      $("stop").disabled = true;
      $("output").classList.remove("streaming");
      addHistory(run);
    }
    return undefined;
  }

  async function execute(run) {
    let response;
    try {
      response = await fetch(modelUrl("/infer"), {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "text/event-stream, application/json" },
        body: JSON.stringify(run.body),
        signal: run.controller.signal,
      });
    } catch (error) {
      if (run.stopping) return finish(run, "warn", "■ cancelled before the first event", "cancelled");
      return finish(run, "err", "✕ cannot reach the server (is infer serve still running?)", "unreachable");
    }
    if (!response.ok) return refusal(run, response);
    const type = response.headers.get("Content-Type") || "";
    if (!type.startsWith("text/event-stream")) return answer(run, response);
    run.streamId = response.headers.get("X-Stream-Id");
    run.resumeUrl = response.headers.get("X-Resume-Url");
    $("output").classList.add("streaming");
    setEnding("live", `● streaming · stream ${run.streamId}`);
    await readEvents(run, response);
    while (!run.terminal && !run.stopping) {
      if (!(await resume(run))) return undefined;
    }
    if (!run.terminal) finish(run, "warn", "■ cancelled", "cancelled");
    return undefined;
  }

  /** After a drop: wait the server's retry delay, then GET the resume URL with Last-Event-ID. */
  async function resume(run) {
    if (!run.resumeUrl || run.reconnects >= MAX_RECONNECTS) {
      finish(run, "err", `✕ truncated: the connection dropped and ${run.reconnects} reconnect(s) did not finish it`, "truncated");
      return false;
    }
    run.reconnects += 1;
    markGap(run);
    setEnding("warn", `⟲ connection lost after event ${run.lastId}; resuming in ${fmtMs(run.retryMs)} (attempt ${run.reconnects}/${MAX_RECONNECTS})`);
    await sleep(run.retryMs, run.controller.signal);
    if (run.stopping) return false;
    let response;
    try {
      response = await fetch(run.resumeUrl, { headers: { "Last-Event-ID": run.lastEventId || String(run.lastId) }, signal: run.controller.signal });
    } catch (error) {
      return !run.stopping;
    }
    if (response.status === 204) {
      finish(run, "warn", "■ the stream had already ended", "ended");
      return false;
    }
    if (!response.ok) {
      const error = await errorOf(response);
      finish(run, "err", `✕ cannot resume: ${response.status} ${error.code}: ${error.message}`, error.code);
      return false;
    }
    setEnding("live", `● streaming · resumed after event ${run.lastId}`);
    rawNote(`reconnected: GET ${run.resumeUrl} with Last-Event-ID: ${run.lastEventId || run.lastId}`);
    await readEvents(run, response);
    return true;
  }

  async function readEvents(run, response) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const parser = new SSEParser({
      onEvent: (event) => onEvent(run, event),
      onRetry: (ms) => { run.retryMs = ms; rawLine("comment", `retry: ${ms}`); },
      onComment: (line) => rawLine("comment", line),
    });
    run.reading = true;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
        flushText(run);
      }
    } catch (error) {
      // The connection dropped (or Stop aborted it): the caller resumes or ends the run.
    }
    run.reading = false;
    flushText(run);
  }

  /** The n of an id "<stream>:<n>" (or a bare "n"); NaN for anything else. */
  const sequenceOf = (id) => (id === "" ? NaN : Number(id.slice(id.lastIndexOf(":") + 1)));

  function onEvent(run, event) {
    const id = sequenceOf(event.id);
    // The server replays only what came after Last-Event-ID; skipping seen ids makes that certain.
    if (Number.isFinite(id) && id <= run.lastId) return;
    if (Number.isFinite(id)) {
      run.lastId = id;
      run.lastEventId = event.id;
    }
    const now = performance.now();
    rawEvent(run, event, now);
    let data;
    try {
      data = JSON.parse(event.data);
    } catch (error) {
      data = event.data;
    }
    if (event.event === "message") {
      if (run.firstEventAt == null) run.firstEventAt = now;
      else run.gaps.push({ ms: now - run.lastEventAt, resumed: run.resumedAt.has(run.events) });
      if (run.gaps.length > 2 * GAP_HISTORY) run.gaps.splice(0, GAP_HISTORY); // bounded, like the server's buffer
      run.lastEventAt = now;
      run.events += 1;
      run.pending += textOf(run, data);
    } else if (event.event === "done") {
      run.terminal = "done";
      run.doneInfo = data;
      const extra = data && data.warning ? ` · ⚠ ${data.warning}` : "";
      const dropped = run.reconnects ? ` · resumed ${run.reconnects}×` : "";
      finish(run, data && data.warning ? "warn" : "ok", `■ done · ${run.events} events · ${fmtMs(now - run.started)}${dropped}${extra}`, "done");
    } else if (event.event === "error") {
      run.terminal = "error";
      const code = (data && data.code) || "error";
      const cancelled = code === "cancelled";
      const text = cancelled ? `■ cancelled · ${data.message}` : `✕ ${code}: ${(data && data.message) || event.data}`;
      finish(run, cancelled ? "warn" : "err", text, code);
    }
  }

  function textOf(run, data) {
    if (data === null || typeof data !== "object") return `${JSON.stringify(data)}\n`;
    if (run.textField === null) {
      const strings = Object.keys(data).filter((key) => typeof data[key] === "string");
      const preferred = TEXT_FIELD_PREFERENCE.filter((key) => strings.includes(key));
      run.textField = strings.length === 1 ? strings[0] : preferred[0] || "";
    }
    const value = run.textField ? data[run.textField] : undefined;
    return typeof value === "string" ? value : `${JSON.stringify(data)}\n`;
  }

  /** Appends what arrived in the last network read: one DOM update per read, never a redraw. */
  function flushText(run) {
    if (!run.pending || page.run !== run) return;
    const output = $("output");
    const atBottom = output.scrollHeight - output.scrollTop - output.clientHeight < 24;
    output.append(document.createTextNode(run.pending));
    run.pending = "";
    if (atBottom) output.scrollTop = output.scrollHeight;
  }

  function markGap(run) {
    flushText(run);
    run.resumedAt.add(run.events);
    $("output").append(el("span", { class: "gap", role: "img", "aria-label": `connection dropped after event ${run.lastId}; resumed`, title: `connection dropped after event ${run.lastId}; resumed with Last-Event-ID` }));
    rawNote(`connection dropped after event ${run.lastId}`);
  }

  async function refusal(run, response) {
    const error = await errorOf(response);
    if (response.status === 422 && error.details) showProblems(error.details);
    const retry = response.headers.get("Retry-After");
    const after = retry ? ` (retry after ${retry} s)` : "";
    rawNote(`HTTP ${response.status}: ${JSON.stringify({ error })}`);
    finish(run, "err", `✕ ${response.status} ${error.code}: ${error.message}${after}`, `${response.status} ${error.code}`);
  }

  async function answer(run, response) {
    const text = await response.text();
    const took = performance.now() - run.started;
    let shown = text;
    try {
      shown = JSON.stringify(JSON.parse(text), null, 2);
    } catch (error) { /* not JSON: shown as it came */ }
    const output = $("output");
    output.classList.add("json");
    output.textContent = shown;
    rawLine("comment", text);
    run.firstEventAt = performance.now();
    finish(run, "ok", `✓ ${response.status} · answered in ${fmtMs(took)}`, "ok");
  }

  async function errorOf(response) {
    try {
      const body = await response.json();
      return body.error || { code: "http_error", message: JSON.stringify(body) };
    } catch (error) {
      return { code: "http_error", message: response.statusText || "no details" };
    }
  }

  function finish(run, tone, text, summary) {
    if (run.ending) return;
    run.ending = { tone, text, summary, at: performance.now() };
    if (page.run === run) setEnding(tone, text);
  }

  function setEnding(tone, text) {
    const ending = $("ending");
    ending.className = `ending ${tone}`;
    ending.textContent = text;
  }

  async function stop() {
    const run = page.run;
    if (!run || run.ending || run.stopping) return;
    run.stopping = true;
    $("stop").disabled = true;
    if (run.resumeUrl && !run.terminal) {
      setEnding("warn", "■ stopping…");
      try {
        const response = await fetch(run.resumeUrl, { method: "DELETE" });
        // The server ends the stream in-band with a `cancelled` error event; wait briefly for it.
        if (run.reading && response.ok) await waitFor(() => run.ending, 3000);
      } catch (error) { /* the server is gone: abort below */ }
    }
    run.controller.abort();
    finish(run, "warn", "■ cancelled", "cancelled");
  }

  const waitFor = (predicate, ms) =>
    new Promise((resolve) => {
      const until = performance.now() + ms;
      const check = () => (predicate() || performance.now() > until ? resolve() : setTimeout(check, 25));
      check();
    });

  // ---------------------------------------------------------------- response rendering

  function resetResponse(run) {
    const output = $("output");
    output.replaceChildren();
    output.classList.remove("json", "streaming");
    $("raw").replaceChildren();
    $("send").disabled = true;
    $("stop").disabled = false;
    setEnding("live", "● sending…");
    renderStats(run);
    drawChart(run);
  }

  function rawEvent(run, event, now) {
    const terminal = event.event !== "message";
    const seq = sequenceOf(event.id);
    const dataId = Number.isFinite(seq) ? String(seq) : event.id;
    const item = el("li", { class: terminal ? `terminal ${event.event}` : "", "data-id": dataId, title: event.id },
      el("span", { class: "id", text: event.id ? `#${event.id}` : "" }),
      el("span", { class: "name", text: event.event }),
      el("span", { class: "data", text: event.data }),
      el("span", { class: "t", text: `+${(now - run.started).toFixed(1)} ms` }));
    appendRaw(item);
  }

  const rawLine = (kind, text) => appendRaw(el("li", { class: kind }, el("span", { class: "data", text })));
  const rawNote = (text) => appendRaw(el("li", { class: "note", text: `⟲ ${text}` }));

  function appendRaw(item) {
    const raw = $("raw");
    raw.append(item);
    if (raw.childElementCount > RAW_MAX_ITEMS) raw.firstElementChild.remove();
  }

  function renderStats(run) {
    const now = run.ending ? run.ending.at : performance.now();
    const streaming = page.meta && page.meta.streaming;
    const ttft = run.firstEventAt == null ? null : run.firstEventAt - run.started;
    $("stat-ttft").textContent = streaming ? fmtMs(ttft) : "—";
    $("stat-events").textContent = streaming ? String(run.events) : "—";
    const span = run.firstEventAt == null ? 0 : (run.lastEventAt || now) - run.firstEventAt;
    const live = run.firstEventAt == null ? 0 : now - run.firstEventAt;
    const eps = run.events > 1 ? (run.events - 1) / ((run.ending ? span : live) / 1000) : null;
    $("stat-eps").textContent = streaming ? fmtRate(eps) : "—";
    $("stat-tps").textContent = fmtRate(tokensPerSecond(run));
    $("stat-elapsed").textContent = fmtMs(now - run.started);
    if (run.events !== run.drawnEvents) drawChart(run);
  }

  /** tokens/s only when the server reports a token count (in the `done` event). */
  function tokensPerSecond(run) {
    const info = run.doneInfo;
    if (!info || typeof info.tokens !== "number" || !info.duration_ms) return null;
    const ms = info.duration_ms - (info.ttft_ms || 0);
    return ms > 0 ? info.tokens / (ms / 1000) : null;
  }

  function drawChart(run) {
    run.drawnEvents = run.events;
    const canvas = $("gap-chart");
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 600;
    const height = canvas.clientHeight || 56;
    if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const context = canvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);
    const gaps = run.gaps.slice(-GAP_BARS);
    const sorted = run.gaps.map((g) => g.ms).sort((a, b) => a - b);
    const p50 = percentile(sorted, 0.5);
    const p95 = percentile(sorted, 0.95);
    const caption = $("gap-caption");
    if (!gaps.length) {
      caption.textContent = "gaps between events";
      canvas.setAttribute("aria-label", "Gaps between events: none yet");
      return;
    }
    const style = getComputedStyle(document.documentElement);
    const top = Math.max(p95 * 1.5, 1);
    // Bars are wide while there are few, and narrow to GAP_BARS as the stream goes on.
    const inset = 6; // clear of the rounded corners
    const step = (width - 2 * inset) / Math.min(GAP_BARS, Math.max(gaps.length, 48));
    gaps.forEach((gap, i) => {
      const h = Math.max(1.5, Math.min(1, gap.ms / top) * (height - 6));
      context.fillStyle = style.getPropertyValue(gap.resumed || gap.ms > top ? "--bar-hot" : "--bar").trim();
      context.fillRect(inset + i * step + 0.5, height - h, Math.max(1, step - 1.5), h);
    });
    const max = sorted[sorted.length - 1];
    const summary = `p50 ${fmtMs(p50)} · p95 ${fmtMs(p95)} · max ${fmtMs(max)}`;
    const notes = [];
    if (gaps.some((gap) => gap.resumed)) notes.push("across a reconnect");
    if (gaps.some((gap) => !gap.resumed && gap.ms > top)) notes.push("over 1.5 × p95");
    caption.textContent = `gaps between events · ${summary}${notes.length ? ` · red: ${notes.join(", ")}` : ""}`;
    canvas.setAttribute("aria-label", `Gaps between events: ${summary}`);
  }

  // ---------------------------------------------------------------- history

  const loadHistory = () => {
    try {
      return JSON.parse(sessionStorage.getItem(HISTORY_KEY) || "[]");
    } catch (error) {
      return [];
    }
  };

  function addHistory(run) {
    const ttft = run.firstEventAt == null ? null : run.firstEventAt - run.started;
    const entry = {
      at: new Date().toLocaleTimeString(),
      body: run.body,
      ttft: page.meta.streaming ? ttft : null,
      rate: page.meta.streaming ? tokensPerSecond(run) : null,
      eventsPerS: run.events > 1 && run.lastEventAt ? (run.events - 1) / ((run.lastEventAt - run.firstEventAt) / 1000) : null,
      ending: run.ending ? run.ending.summary : "?",
      tone: run.ending ? run.ending.tone : "warn",
      took: run.ending ? run.ending.at - run.started : null,
    };
    const entries = [entry, ...loadHistory()].slice(0, HISTORY_MAX);
    try {
      sessionStorage.setItem(HISTORY_KEY, JSON.stringify(entries));
    } catch (error) { /* storage full or off: the list still shows this session's entries */ }
    renderHistory(entries);
  }

  const summarise = (body) =>
    ((body && body.inputs) || []).map((i) => `${i.name}=${JSON.stringify(i.data && i.data.length === 1 ? i.data[0] : i.data)}`).join(" ");

  function renderHistory(entries) {
    const rows = $("history-rows");
    rows.replaceChildren();
    entries.forEach((entry, index) => {
      const load = el("button", { type: "button", text: "Load", "aria-label": `Load request ${index + 1} into the form` });
      load.addEventListener("click", () => { fillForm(entry.body); $("send").focus(); });
      const rate = entry.rate != null ? `${fmtRate(entry.rate)} tok/s` : entry.eventsPerS != null ? `${fmtRate(entry.eventsPerS)} ev/s` : "—";
      rows.append(el("tr", {},
        el("td", { class: "num", text: entry.at }),
        el("td", { class: "inputs", text: summarise(entry.body), title: summarise(entry.body) }),
        el("td", { class: "num", text: entry.ttft != null ? fmtMs(entry.ttft) : fmtMs(entry.took) }),
        el("td", { class: "num", text: rate }),
        el("td", {}, el("span", { class: entry.tone, text: entry.ending })),
        el("td", {}, load)));
    });
    $("history").hidden = entries.length === 0;
    $("history-clear").hidden = entries.length === 0;
    $("history-empty").hidden = entries.length !== 0;
  }

  // ---------------------------------------------------------------- copy as curl / infer stream

  function commandFor(kind, body) {
    const origin = window.location.origin;
    if (kind === "curl") {
      return `curl -N ${shellQuote(`${origin}${modelUrl("/infer")}`)} \\\n  -H 'Content-Type: application/json' \\\n  -d ${shellQuote(JSON.stringify(body))}`;
    }
    const parts = ["infer stream", `--url ${shellQuote(origin)}`, `--model ${shellQuote(page.model)}`];
    for (const entry of (body && body.inputs) || []) {
      for (const value of entry.data || []) parts.push(`-i ${shellQuote(`${entry.name}=${typeof value === "string" ? value : JSON.stringify(value)}`)}`);
    }
    return parts.join(" ");
  }

  async function copy(kind) {
    const { body, problems } = currentBody();
    clearErrors();
    if (problems.length) return showProblems(problems);
    const command = commandFor(kind, body);
    $("copy-box").hidden = false;
    $("copy-preview").textContent = command;
    let copied = false;
    try {
      await navigator.clipboard.writeText(command);
      copied = true;
    } catch (error) {
      const selection = window.getSelection();
      selection.selectAllChildren($("copy-preview"));
    }
    $("copy-status").textContent = copied ? `Copied to the clipboard (${kind === "curl" ? "curl" : "infer stream"}):` : "The clipboard is not available here; the command is selected, copy it with Ctrl+C:";
    return undefined;
  }

  // ---------------------------------------------------------------- tabs, keys, start

  function setMode(mode) {
    if (mode === "json" && page.mode === "form") syncJsonFromForm();
    if (mode === "form" && page.mode === "json") {
      try {
        fillForm(JSON.parse($("json-body").value));
      } catch (error) {
        showProblems([{ name: "json-body", message: `not valid JSON: ${error.message}` }]);
        return;
      }
    }
    page.mode = mode;
    selectTab("tab-form", mode === "form");
    selectTab("tab-json", mode === "json");
  }

  function selectTab(id, selected) {
    const tab = $(id);
    tab.setAttribute("aria-selected", String(selected));
    $(tab.getAttribute("aria-controls")).hidden = !selected;
  }

  function tabs(ids, onSelect) {
    ids.forEach((id, index) => {
      const tab = $(id);
      tab.addEventListener("click", () => onSelect(id));
      tab.addEventListener("keydown", (event) => {
        const delta = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
        if (!delta) return;
        const next = $(ids[(index + delta + ids.length) % ids.length]);
        next.focus();
        onSelect(next.id);
      });
    });
  }

  function start() {
    $("request-form").addEventListener("submit", (event) => { event.preventDefault(); send(); });
    $("request-form").addEventListener("input", () => { if (page.mode === "form") syncJsonFromForm(); });
    $("stop").addEventListener("click", stop);
    $("copy-curl").addEventListener("click", () => copy("curl"));
    $("copy-cli").addEventListener("click", () => copy("cli"));
    $("reset").addEventListener("click", () => {
      clearErrors();
      buildForm(page.meta.inputs, exampleValues(page.meta.inputs));
      setMode("form");
    });
    $("history-clear").addEventListener("click", () => { sessionStorage.removeItem(HISTORY_KEY); renderHistory([]); });
    tabs(["tab-form", "tab-json"], (id) => setMode(id === "tab-json" ? "json" : "form"));
    tabs(["tab-text", "tab-raw"], (id) => { selectTab("tab-text", id === "tab-text"); selectTab("tab-raw", id === "tab-raw"); });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        send();
      } else if (event.key === "Escape" && page.run && !page.run.ending) {
        event.preventDefault();
        stop();
      }
    });
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => page.run && drawChart(page.run));
    window.addEventListener("resize", () => page.run && drawChart(page.run));
    renderHistory(loadHistory());
    loadModel();
  }

  // Exposed for tests and the curious: the parser and the state of the current run.
  window.inferPlayground = { SSEParser, page };
  start();
})();
