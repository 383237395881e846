// Bundles the dashboard (web/) into dist/web/: index.html, app.js (the TypeScript and uPlot, one
// ES module) and app.css (ours and uPlot's). No CDN: every byte the page loads is served by the
// service from that directory (src/http/routes/dashboard.ts). Takes well under a second, so
// `npm start` runs it first. Usable as a module too: `await buildWeb()` (the browser test does).
import { copyFile, mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import * as esbuild from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** Builds into `outdir` (default dist/web under the package root); resolves to that directory. */
export async function buildWeb (outdir = join(root, 'dist', 'web')) {
  await mkdir(outdir, { recursive: true })
  await esbuild.build({
    // app.ts imports app.css (which imports uPlot's): esbuild writes it beside app.js as app.css.
    entryPoints: [join(root, 'web', 'app.ts')],
    outdir,
    bundle: true,
    format: 'esm',
    // Chromium, Firefox and Safari of 2022 on: top-level await and class fields without transforms.
    target: ['es2022'],
    minify: true,
    sourcemap: true,
    logLevel: 'warning'
  })
  await copyFile(join(root, 'web', 'index.html'), join(outdir, 'index.html'))
  await copyFile(join(root, 'web', 'favicon.svg'), join(outdir, 'favicon.svg'))
  return outdir
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildWeb()
}
