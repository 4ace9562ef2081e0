// Bundles src/main.js and src/styles/app.css into dist/ with content-hashed names, and writes
// dist/index.html (which names them) and dist/manifest.json. Run by scripts/bootstrap --web.
import * as esbuild from "esbuild";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import { gzipSync } from "node:zlib";

const out = new URL("./dist/", import.meta.url).pathname;
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

const result = await esbuild.build({
  entryPoints: { app: "src/main.js", style: "src/styles/app.css" },
  bundle: true,
  minify: true,
  sourcemap: "linked",
  format: "esm",
  target: ["chrome110", "firefox115", "safari16"],
  outdir: `${out}assets`,
  entryNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  legalComments: "linked",
  metafile: true,
  logLevel: "warning",
});

const outputs = Object.keys(result.metafile.outputs).map((path) => basename(path));
const script = outputs.find((name) => name.startsWith("app-") && name.endsWith(".js"));
const style = outputs.find((name) => name.startsWith("style-") && name.endsWith(".css"));
if (!script || !style) throw new Error(`build: missing outputs in ${outputs.join(", ")}`);

// precompressed copies, served when the browser accepts gzip (server/http/web.py)
for (const name of outputs.filter((file) => /\.(js|css)$/.test(file))) {
  const path = `${out}assets/${name}`;
  await writeFile(`${path}.gz`, gzipSync(await readFile(path), { level: 9 }));
}

const template = await readFile("src/index.html", "utf8");
const page = template
  .replace("%SCRIPT%", `/assets/${script}`)
  .replace("%STYLE%", `/assets/${style}`);
await writeFile(`${out}index.html`, page);
await writeFile(
  `${out}manifest.json`,
  JSON.stringify({ script, style, files: outputs.sort() }, null, 2) + "\n",
);
console.log(`web: built ${script} and ${style} into client/web/dist`);
