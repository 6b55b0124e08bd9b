// The chat panel's rendering cost: the built webview (dist/webview.js, with the extension's own
// HTML) in Debian's headless Chromium, fed `delta` messages as the extension posts them — one
// batch of every token the model wrote in the last 16 ms. A worker thread plays the model, so a
// busy page delays what the user sees but not the model (the extension host is another process).
//
//   npm run bench:panel                   1,000 to 30,000 tokens (a few minutes)
//   npm run bench:panel -- --quick        one small answer: fails only on a broken invariant
//   npm run bench:panel -- --scenario 8000@400   one answer: tokens @ tokens per second
//   npm run bench:panel -- --webview F    measure another build of the webview (e.g. main's)
//
// Reports long tasks (> 50 ms), the longest task, frame gaps (p50/p99), the batch-to-screen delay
// (p50/p99, from a batch's posting to the frame that showed it), how long the panel took to show
// the whole answer against the model's time; and from a trace, the main thread's tasks in CPU time
// (on a busy machine wall-clock figures grow with the load). Figures are printed, never asserted.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { chromium } from "playwright-core";
import { answerTokens } from "./answer.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const extensionDir = join(here, "..");
const BATCH_MS = 16; // the server's default streaming.flushIntervalMs
const LONG_TASK_MS = 50;

const SCENARIOS = {
  quick: [{ tokens: 1000, rate: 400 }],
  full: [
    { tokens: 1000, rate: 100 },
    { tokens: 3000, rate: 100 },
    { tokens: 8000, rate: 400 },
    { tokens: 30000, rate: 400 },
  ],
};

function option(name) {
  const index = process.argv.indexOf(name);
  return index < 0 ? undefined : process.argv[index + 1];
}

/** The extension's chat HTML, from its source (so the page is the one VS Code shows). */
async function chatPage() {
  const built = await esbuild.build({ entryPoints: [join(extensionDir, "src/chat/chatHtml.ts")], bundle: true, format: "esm", platform: "node", write: false });
  const { chatHtml } = await import(`data:text/javascript;base64,${Buffer.from(built.outputFiles[0].text).toString("base64")}`);
  return chatHtml({ cspSource: "'self'", scriptUri: "/webview.js", styleUri: "/webview-style.css", nonce: "bench" });
}

// The model: every BATCH_MS, one `delta` with the tokens written since the last one, then the
// response. Times are absolute (timeOrigin + now) so the page can compare them with its own.
const MODEL_WORKER = `
onmessage = ({ data: { tokens, rate, batchMs } }) => {
  const now = () => performance.timeOrigin + performance.now();
  const start = now();
  let sent = 0, seq = 0;
  const tick = () => {
    const due = Math.min(tokens.length, Math.floor(((now() - start) * rate) / 1000));
    if (due > sent) {
      postMessage({ message: { type: "delta", answerId: "bench", seq: seq++, kind: "content", text: tokens.slice(sent, due).join("") }, sentAt: now() });
      sent = due;
    }
    if (sent < tokens.length) return setTimeout(tick, start + (seq + 1) * batchMs - now());
    postMessage({ message: { type: "answerEnd", answerId: "bench", end: { status: "done", text: tokens.join(""), thinking: "" } }, sentAt: now(), start });
  };
  setTimeout(tick, batchMs);
};`;

/** Runs in the page: streams the answer, measures, and checks the result against a one-shot render. */
async function streamInPage({ tokens, rate, batchMs, longTaskMs, workerSource }) {
  const now = () => performance.timeOrigin + performance.now();
  const longTasks = [];
  new PerformanceObserver((list) => list.getEntries().forEach((entry) => longTasks.push(entry.duration))).observe({ type: "longtask" });
  const post = (message) => window.dispatchEvent(new MessageEvent("message", { data: message }));
  const answerBody = (index) => document.querySelectorAll(".message.assistant .answer-body")[index];
  post({ type: "answerStart", answerId: "bench", prompt: "Explain the panel" });

  const frameTimes = [];
  let streaming = true;
  const everyFrame = (time) => {
    frameTimes.push(time);
    if (streaming) requestAnimationFrame(everyFrame);
  };
  requestAnimationFrame(everyFrame);

  const delays = [];
  let lastShownAt = 0;
  let deltas = 0;
  const worker = new Worker(URL.createObjectURL(new Blob([workerSource], { type: "text/javascript" })));
  const result = await new Promise((resolve) => {
    worker.onmessage = ({ data: { message, sentAt, start } }) => {
      post(message);
      if (message.type === "delta") {
        deltas++;
        // Registered after the answer's own frame callback: runs once the frame rendered it.
        requestAnimationFrame(() => {
          lastShownAt = now();
          delays.push(lastShownAt - sentAt);
        });
        return;
      }
      requestAnimationFrame(() => requestAnimationFrame(() => resolve({ start, batches: message.seq })));
    };
    worker.postMessage({ tokens, rate, batchMs });
  });
  streaming = false;
  worker.terminate();

  const answer = document.querySelector(".message.assistant");
  const gaps = frameTimes.slice(1).map((time, index) => time - frameTimes[index]);
  return {
    longTasks: longTasks.filter((duration) => duration > longTaskMs),
    gaps,
    delays,
    deltas,
    panelMs: lastShownAt - result.start,
    modelMs: (tokens.length / rate) * 1000,
    status: answer.dataset.status,
    streamComplete: answer.dataset.streamComplete,
  };
}

/** Runs in the page after the stream: the same answer in one piece, which the streamed one must equal. */
function sameAsOneShot(text) {
  const post = (message) => window.dispatchEvent(new MessageEvent("message", { data: message }));
  post({ type: "answerStart", answerId: "reference", prompt: "Again" });
  post({ type: "delta", answerId: "reference", seq: 0, kind: "content", text });
  post({ type: "answerEnd", answerId: "reference", end: { status: "done", text, thinking: "" } });
  const [streamed, reference] = document.querySelectorAll(".message.assistant .answer-body");
  return streamed.innerHTML === reference.innerHTML;
}

/** CPU time of the renderer's main-thread tasks, from a Chromium trace (wall time suffers from a busy machine). */
function taskCpuMs(traceBuffer) {
  const parsed = JSON.parse(traceBuffer.toString());
  const events = parsed.traceEvents ?? parsed;
  const mainThreads = new Set(events.filter((event) => event.name === "thread_name" && event.args.name === "CrRendererMain").map((event) => `${event.pid}:${event.tid}`));
  return events
    .filter((event) => event.ph === "X" && event.name === "ThreadControllerImpl::RunTask" && mainThreads.has(`${event.pid}:${event.tid}`))
    .map((event) => (event.tdur ?? event.dur) / 1000);
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;
}

function serve(files) {
  const server = createServer((request, response) => {
    const file = files[new URL(request.url, "http://x").pathname];
    if (!file) return response.writeHead(404).end();
    response.writeHead(200, { "content-type": file.type }).end(file.body);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const quick = process.argv.includes("--quick");
const webview = option("--webview") ?? join(extensionDir, "dist/webview.js");
const files = {
  "/": { type: "text/html", body: await chatPage() },
  "/webview.js": { type: "text/javascript", body: readFileSync(webview) },
  "/webview-style.css": { type: "text/css", body: readFileSync(join(dirname(webview), "webview-style.css")) },
};
const server = await serve(files);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu"],
});
const broken = [];
try {
  console.log(`webview: ${webview}`);
  console.log("| answer | long tasks (> 50 ms) | longest | main thread blocked | CPU: tasks > 50 ms, longest, main thread total | frame gap p50 / p99 | batch to screen p50 / p99 | panel vs model |");
  console.log("|---|---|---|---|---|---|---|---|");
  const chosen = option("--scenario")?.split("@").map(Number);
  const scenarios = chosen ? [{ tokens: chosen[0], rate: chosen[1] }] : SCENARIOS[quick ? "quick" : "full"];
  for (const { tokens: count, rate } of scenarios) {
    // A fresh page each time, the size of VS Code's side bar; CSP bypassed for the model's worker only.
    const context = await browser.newContext({ viewport: { width: 400, height: 900 }, bypassCSP: true });
    const page = await context.newPage();
    await page.addInitScript(() => {
      window.acquireVsCodeApi = () => ({ postMessage: () => undefined });
    });
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    const tokens = answerTokens(count);
    await browser.startTracing(page, { categories: ["toplevel", "__metadata"] });
    const run = await page.evaluate(streamInPage, { tokens, rate, batchMs: BATCH_MS, longTaskMs: LONG_TASK_MS, workerSource: MODEL_WORKER });
    const cpu = taskCpuMs(await browser.stopTracing());
    const sameHtml = await page.evaluate(sameAsOneShot, tokens.join(""));
    await context.close();
    const name = `${count.toLocaleString("en")} tokens at ${rate} tok/s`;
    const ms = (value) => `${Math.round(value)} ms`;
    const longest = run.longTasks.length ? ms(Math.max(...run.longTasks)) : "—";
    const blocked = run.longTasks.reduce((sum, duration) => sum + duration, 0) / 1000;
    const cpuTotal = cpu.reduce((sum, duration) => sum + duration, 0) / 1000;
    console.log(
      `| ${name} | ${run.longTasks.length} | ${longest} | ${blocked.toFixed(2)} s | ${cpu.filter((duration) => duration > LONG_TASK_MS).length}, ${ms(Math.max(...cpu))}, ${cpuTotal.toFixed(1)} s | ${percentile(run.gaps, 50).toFixed(1)} / ${percentile(run.gaps, 99).toFixed(1)} ms ` +
        `| ${ms(percentile(run.delays, 50))} / ${ms(percentile(run.delays, 99))} | ${(run.panelMs / run.modelMs).toFixed(2)}× |`,
    );
    // The invariants: every batch arrived and the streamed answer ends as a one-shot render.
    const expectedBatches = Math.ceil(run.modelMs / BATCH_MS);
    if (run.status !== "done" || run.streamComplete !== "true") broken.push(`${name}: the stream did not arrive whole (status ${run.status}, complete ${run.streamComplete})`);
    if (run.deltas === 0 || run.deltas > expectedBatches + 1) broken.push(`${name}: ${run.deltas} batches for a ${Math.round(run.modelMs)} ms answer`);
    if (!sameHtml) broken.push(`${name}: the streamed answer's DOM differs from the same text rendered at once`);
  }
} finally {
  await browser.close();
  server.close();
}
for (const failure of broken) console.error(`BROKEN: ${failure}`);
process.exit(broken.length ? 1 : 0);
