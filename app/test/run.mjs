// Drives headless Chromium through the view: `node app/test/run.mjs <fixtures-dir> <out-dir>`.
// <fixtures-dir>/cases.json lists real CallToolResults (written by tests/test_app_browser.py); this
// script loads each into the view through the test host, measures what a person would look at (bars,
// shaded times, axis ticks, tooltips, colours), clicks where asked, saves screenshots and writes
// <out-dir>/report.json for the Python test to judge.

import { createServer } from "node:http";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { chromium } from "playwright-core";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const WIDTH = 760;
const WAIT = { timeout: 15_000 };

const [fixturesDir, outDir] = process.argv.slice(2);
if (!fixturesDir || !outDir) {
  console.error("usage: node app/test/run.mjs <fixtures-dir> <out-dir>");
  process.exit(2);
}
const { cases, view } = JSON.parse(await readFile(join(fixturesDir, "cases.json"), "utf8"));
const viewHtml = await readFile(view ?? here("../../astro_mcp/server/view.html"), "utf8");
const hostJs = (
  await esbuild.build({ entryPoints: [here("host.ts")], bundle: true, format: "iife", write: false, logLevel: "warning" })
).outputFiles[0].text;
const hostPage = `<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0"><script>${hostJs}</script></body></html>`;

const THEMES = {
  light: { "--color-background-primary": "rgb(255, 255, 255)", "--color-text-primary": "rgb(29, 29, 27)" },
  dark: { "--color-background-primary": "rgb(31, 31, 30)", "--color-text-primary": "rgb(236, 235, 231)" },
};

await mkdir(outDir, { recursive: true });
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    // Belt and braces: no name but loopback resolves, so nothing can leave the machine.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
  ],
});

/** Runs in the view's frame: the chart's geometry in SVG pixels, and the colours and texts shown. */
function measure() {
  const svg = document.querySelector("svg.chart");
  const origin = svg?.getBoundingClientRect() ?? { left: 0, top: 0 };
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return { x0: r.left - origin.left, x1: r.right - origin.left, y0: r.top - origin.top, y1: r.bottom - origin.top };
  };
  const all = (sel) => [...document.querySelectorAll(sel)];
  const style = (el) => (el ? getComputedStyle(el) : null);
  const baseline = document.querySelector(".baseline");
  const status = document.querySelector(".pill");
  return {
    state: document.getElementById("root").dataset.state,
    theme: document.documentElement.dataset.theme ?? null,
    headline: document.querySelector(".headline")?.textContent ?? null,
    subline: document.querySelector(".subline")?.textContent ?? null,
    status: status ? { text: status.textContent, value: status.dataset.status, background: style(status).backgroundColor } : null,
    stats: all(".stats dd").map((el) => el.textContent),
    legend: all(".legend li").map((el) => el.textContent),
    notices: all(".notice").map((el) => el.textContent),
    colors: { background: style(document.body).backgroundColor, text: style(document.body).color },
    plot: baseline ? { left: Number(baseline.getAttribute("x1")), right: Number(baseline.getAttribute("x2")) } : null,
    bars: all("rect.bar").map((el) => ({ index: Number(el.dataset.index), ...box(el) })),
    idle: all("rect.idle").map(box),
    shades: all(".shade").map((el) => ({
      kind: el.classList.contains("spike") ? "spike" : "regression",
      ongoing: el.classList.contains("ongoing"),
      label: el.querySelector(".shade-label").textContent,
      ...box(el.querySelector(".shade-fill")),
    })),
    ticks: all(".x-axis .tick").map((el) => ({
      x: box(el.querySelector("line")).x0,
      time: el.querySelector(".tick-time").textContent,
      date: el.querySelector(".tick-date")?.textContent ?? null,
    })),
    hits: all(".hit").length,
    agents: all("tr.agent").map((el) => ({
      name: el.dataset.agent,
      status: el.querySelector(".pill").dataset.status,
      background: getComputedStyle(el.querySelector(".pill")).backgroundColor,
      sparkline: el.querySelectorAll(".sparkline rect").length,
    })),
    traces: all("tr.trace").map((el) => {
      const detail = el.nextElementSibling?.classList.contains("trace-detail") ? el.nextElementSibling : null;
      const content = [...(detail?.querySelectorAll("pre.content") ?? [])];
      return {
        cells: [...el.cells].map((c) => c.textContent),
        error: detail?.querySelector(".trace-error")?.textContent ?? null,
        content: Object.fromEntries(content.map((p) => [p.dataset.content, { text: p.textContent, json: p.classList.contains("json") }])),
      };
    }),
    height: document.documentElement.scrollHeight,
  };
}

async function openView(c, csp = true, html = viewHtml) {
  const page = await browser.newPage({ viewport: { width: WIDTH + 40, height: 1600 } });
  const log = [];
  page.on("console", (m) => m.type() !== "debug" && log.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => log.push(`pageerror: ${e.message}`));
  await page.setContent(hostPage);
  await page.evaluate(
    (o) => window.startView(o),
    {
      html,
      csp,
      width: WIDTH,
      hostContext: {
        theme: c.theme,
        styles: { variables: THEMES[c.theme] },
        displayMode: "inline",
        platform: "web",
        containerDimensions: { width: WIDTH, maxHeight: 4000 },
      },
      toolInput: c.toolInput,
      toolResult: c.result ?? null,
      cancelReason: c.cancelReason,
      responses: c.responses ?? {},
    },
  );
  await page.waitForFunction(() => window.hostState.initialized, null, WAIT);
  const frame = page.frames().find((f) => f !== page.mainFrame());
  return { page, frame, log };
}

async function settle(page, frame) {
  await frame.waitForSelector("#root[data-state=ready]", WAIT);
  // The reported size must have reached the host and the iframe must show all of the content.
  await page.waitForFunction(
    () => {
      const h = window.hostState.heights.at(-1);
      const frame = document.getElementById("view");
      return h !== undefined && Math.abs(frame.getBoundingClientRect().height - h) < 1;
    },
    null,
    WAIT,
  );
}

/** The tooltip of every period, the mouse moved over the middle of each in turn as a person would. */
async function hoverAll(page, frame) {
  const offset = await page.locator("#view").boundingBox();
  const centres = await frame.$$eval(".hit", (hits) =>
    hits.map((el) => {
      const r = el.getBoundingClientRect();
      return [r.left + r.width / 2, r.top + r.height / 2];
    }),
  );
  const tips = [];
  for (const [x, y] of centres) {
    await page.mouse.move(offset.x + x, offset.y + y);
    tips.push((await frame.$eval(".tooltip", (el) => (el.hidden ? null : [...el.children].map((c) => c.textContent)))) ?? []);
  }
  await page.mouse.move(0, 0);
  return tips;
}

async function shoot(page, name) {
  const path = join(outDir, `${name}.png`);
  await page.locator("#view").screenshot({ path });
  return path;
}

async function runCase(c) {
  const { page, frame, log } = await openView(c);
  try {
    await settle(page, frame);
    const result = { ...(await frame.evaluate(measure)), heights: await page.evaluate(() => window.hostState.heights) };
    result.tooltips = await hoverAll(page, frame);
    if (c.screenshotHover !== undefined && c.screenshotHover !== null) await frame.hover(`.hit[data-index="${c.screenshotHover}"]`);
    result.screenshots = [await shoot(page, c.id)];
    if (c.click?.episode !== undefined) {
      await page.mouse.move(0, 0);
      // Where a person clicks: the middle of the shaded region (the hover target above it takes the click).
      await frame.click(`.shade[data-episode="${c.click.episode}"] .shade-fill`, { force: true });
      await frame.waitForSelector(".traces tr.trace, .traces .notice", WAIT);
      await settle(page, frame);
    } else if (c.click?.agent !== undefined) {
      await frame.click(`tr.agent[data-agent="${c.click.agent}"]`);
      await frame.waitForSelector(".metrics", WAIT);
      await settle(page, frame);
    }
    if (c.click) {
      result.calls = await page.evaluate(() => window.hostState.calls);
      result.after = await frame.evaluate(measure);
      result.screenshots.push(await shoot(page, `${c.id}-clicked`));
    }
    if (c.switchTheme) {
      // The host changes its theme while the view is shown: the view must follow.
      await page.evaluate((t) => window.hostBridge.setHostContext({ theme: t.theme, styles: { variables: t.variables } }), {
        theme: c.switchTheme,
        variables: THEMES[c.switchTheme],
      });
      await frame.waitForFunction((t) => document.documentElement.dataset.theme === t, c.switchTheme, WAIT);
      result.switched = await frame.evaluate(measure);
    }
    // The host tears the view down: it must answer, or a host that waits for it would hang.
    result.teardown = await page.evaluate(() => window.hostBridge.teardownResource({}, { timeout: 5000 }));
    return { ...result, log };
  } catch (err) {
    return { error: String(err?.stack ?? err), log };
  } finally {
    await page.close();
  }
}

/** The negative control: a view that pulls a script from elsewhere must be refused under the CSP. */
async function cspControl(c) {
  let hits = 0;
  const server = createServer((req, res) => {
    hits += 1;
    res.writeHead(200, { "content-type": "text/javascript" });
    res.end("window.cdnScriptRan = true;");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const src = `http://127.0.0.1:${server.address().port}/npm/chart.js@4/dist/chart.umd.min.js`;
  const html = viewHtml.replace("</head>", `<script src="${src}"></script></head>`);
  const run = async (csp) => {
    const before = hits;
    const { page, frame, log } = await openView(c, csp, html);
    try {
      await settle(page, frame);
      const ran = await frame.evaluate(() => window.cdnScriptRan === true);
      return { requests: hits - before, ran, state: await frame.evaluate(() => document.getElementById("root").dataset.state), log };
    } finally {
      await page.close();
    }
  };
  try {
    return { withCsp: await run(true), withoutCsp: await run(false) };
  } finally {
    server.close();
  }
}

const report = { cases: {} };
try {
  // Each case in its own page, all at once: most of a case's time is spent waiting on the browser.
  const [results, csp] = await Promise.all([Promise.all(cases.map(runCase)), cspControl(cases[0])]);
  cases.forEach((c, i) => (report.cases[c.id] = results[i]));
  report.csp = csp;
} finally {
  await browser.close();
}
await writeFile(join(outDir, "report.json"), JSON.stringify(report, null, 1));
