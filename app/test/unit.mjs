// Runs the view's unit tests (test/unit/*.test.ts) with Node's own test runner. This Node does not run
// TypeScript, so esbuild compiles each test (with the sources it imports) into node_modules/.cache
// first; packages stay outside the bundles and load from node_modules as usual.
import { spawnSync } from "node:child_process";
import { readdir, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const out = here("../node_modules/.cache/view-unit-tests");
const tests = (await readdir(here("unit"))).filter((f) => f.endsWith(".test.ts")).sort();

await rm(out, { recursive: true, force: true });
await esbuild.build({
  entryPoints: tests.map((f) => here(`unit/${f}`)),
  bundle: true,
  packages: "external",
  platform: "node",
  format: "esm",
  target: "node20",
  outdir: out,
  outExtension: { ".js": ".mjs" },
  logLevel: "warning",
});
const run = spawnSync(process.execPath, ["--test", "--test-reporter=spec", ...tests.map((f) => `${out}/${f.replace(/\.ts$/, ".mjs")}`)], { stdio: "inherit" });
process.exit(run.status ?? 1);
