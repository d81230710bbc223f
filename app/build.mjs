// Builds the view into one self-contained HTML file (inline script and style, nothing fetched), the
// package data the server hands to hosts. `--check` builds in memory and fails if the committed file
// differs, so the HTML in git is always what this source builds to. `--analyze` prints what the
// script is made of, module by module (esbuild's metafile).
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
export const OUTPUT = here("../astro_mcp/server/view.html");

export async function buildView({ analyze = false } = {}) {
  const script = await esbuild.build({
    entryPoints: [here("src/main.ts")],
    bundle: true,
    minify: true,
    format: "iife",
    target: "es2022",
    write: false,
    charset: "utf8",
    legalComments: "eof",
    logLevel: "warning",
    metafile: analyze,
  });
  if (analyze) console.log(await esbuild.analyzeMetafile(script.metafile, { verbose: false }));
  const css = await esbuild.transform(await readFile(here("src/style.css"), "utf8"), { loader: "css", minify: true });
  const js = script.outputFiles[0].text;
  if (/<\/script/i.test(js) || /<\/style/i.test(css.code)) throw new Error("a closing tag inside the inline code would end it early");
  const template = await readFile(here("src/index.html"), "utf8");
  // Function replacements: the code may contain "$&" and the like, which a string replacement would expand.
  return template.replace("/*STYLE*/", () => css.code.trim()).replace("/*SCRIPT*/", () => js.trim());
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const html = await buildView({ analyze: process.argv.includes("--analyze") });
  if (process.argv.includes("--check")) {
    const committed = await readFile(OUTPUT, "utf8").catch(() => "");
    if (committed !== html) {
      console.error(`${OUTPUT} is not what the source builds to: run \`npm run build --prefix app\` and commit it.`);
      process.exit(1);
    }
    console.log(`${OUTPUT} matches the build (${html.length} bytes).`);
  } else {
    await writeFile(OUTPUT, html);
    console.log(`wrote ${OUTPUT} (${html.length} bytes)`);
  }
}
