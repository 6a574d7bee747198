// First-load JavaScript of a page of the static export: every script the HTML loads or preloads,
// gzipped (level 9, what a compressing proxy would send). Usage: node scripts/first-load-js.mjs [out/index.html]
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { gzipSync } from "node:zlib";

const page = resolve(process.argv[2] ?? "out/index.html");
let root = dirname(page);
while (!existsSync(join(root, "_next")) && dirname(root) !== root) root = dirname(root);

const html = readFileSync(page, "utf8");
const urls = new Set();
// Modern browsers skip noModule scripts (the legacy polyfills), so they are not part of a first load.
for (const m of html.matchAll(/<script([^>]*)\ssrc="([^"]+\.js)"[^>]*>/g)) {
  if (!/nomodule/i.test(m[0])) urls.add(m[2]);
}
for (const m of html.matchAll(/<link[^>]*rel="(?:modulepreload|preload)"[^>]*>/g)) {
  const tag = m[0];
  const href = /href="([^"]+\.js)"/.exec(tag);
  if (href && (/as="script"/.test(tag) || /modulepreload/.test(tag))) urls.add(href[1]);
}
const inline = [...html.matchAll(/<script(?![^>]*\ssrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).join("");

let raw = 0;
let gz = 0;
const rows = [];
for (const url of urls) {
  const file = join(root, decodeURIComponent(url.replace(/^\//, "").split("?")[0]));
  const body = readFileSync(file);
  const size = gzipSync(body, { level: 9 }).length;
  raw += body.length;
  gz += size;
  rows.push([url, body.length, size]);
}
const inlineGz = gzipSync(Buffer.from(inline), { level: 9 }).length;
const result = {
  page: page,
  scripts: rows.length,
  raw_bytes: raw,
  gzip_bytes: gz,
  inline_gzip_bytes: inlineGz,
  total_gzip_kb: Math.round(((gz + inlineGz) / 1024) * 10) / 10,
};
if (process.argv.includes("--verbose")) for (const r of rows.sort((a, b) => b[2] - a[2])) console.error(r.join("\t"));
console.log(JSON.stringify(result));
