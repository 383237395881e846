/**
 * The README's transcripts, produced by running the real service: `serve` on a fresh embedded
 * database with the built-in default (the replayed 2022 grids), then each step's curl call or CLI
 * command against it. `npm run docs:transcripts` writes them into README.md between
 * `<!-- transcript:NAME -->` and `<!-- /transcript:NAME -->`; `--check` (run by the test suite)
 * fails when a README block no longer has the shape of what the service prints. Instants, ids,
 * figures, pools and zones depend on the replayed week and the clock, so the check compares text
 * with those masked: every field, word and line must match.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runCli } from '../src/cli/commands.js'
import { fixedZone } from '../src/cli/client/time.js'
import { serve } from '../src/main.js'
import { steps, type Service } from './transcript-steps.js'

const ADMIN_KEY = 'gs_readme_transcripts_0123456789abcdef'

export const README = fileURLToPath(new URL('../README.md', import.meta.url))

/** Runs every step against a fresh service; returns each transcript's text by name. */
export async function produce (): Promise<Map<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'greenshift-transcripts-'))
  const running = await serve({ GREENSHIFT_DATA_DIR: join(dir, 'data'), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', GREENSHIFT_ADMIN_KEY: ADMIN_KEY, GREENSHIFT_SCHEDULER: 'off' })
  const service: Service = {
    url: running.url,
    key: ADMIN_KEY,
    cli: async (...argv: string[]) => {
      let text = ''
      const write = (s: string) => { text += s }
      await runCli(argv, { GREENSHIFT_URL: running.url, GREENSHIFT_API_KEY: ADMIN_KEY }, write, { err: write, zone: fixedZone(0) })
      return text
    }
  }
  try {
    const out = new Map<string, string>()
    for (const step of steps) out.set(step.name, (out.get(step.name) ?? '') + await step.run(service))
    return out
  } finally {
    await running.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

const block = (name: string) => new RegExp(`(<!-- transcript:${name} -->\\n)([\\s\\S]*?)(<!-- /transcript:${name} -->)`)

/** The README with each transcript block replaced; throws naming a block the README lacks. */
export function rewrite (readme: string, transcripts: Map<string, string>): string {
  let text = readme
  for (const [name, body] of transcripts) {
    if (!block(name).test(text)) throw new Error(`README.md has no <!-- transcript:${name} --> block`)
    text = text.replace(block(name), (_m, open: string, _old: string, close: string) => `${open}${body}${close}`)
  }
  return text
}

/**
 * What may change from run to run: ids, instants, grams and their units, percentages, ages, the
 * pools and zones the replayed week favours, and the spacing of table columns sized to them.
 */
export function masked (text: string): string {
  const n = '[−+±-]?(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?'
  return text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
    .replace(/gs_[A-Za-z0-9_-]+/g, '<key>')
    .replace(/sha256:[0-9a-f]+/g, '<hash>')
    .replace(/\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?/g, '<time>')
    .replace(/\b\d{2}:\d{2}(?::\d{2})?Z/g, '<time>')
    .replace(/\b(?:h100|a100|l40s)-[a-z]+\b/g, '<pool>')
    .replace(/\b(?:DE|FR|GB|PL|SE-SE3|US-CAL-CISO|ES)\b/g, '<zone>')
    .replace(new RegExp(`${n} ?(?:kg|g|t)\\b`, 'g'), '<mass>')
    .replace(new RegExp(` ?\\(?${n} %\\)?`, 'g'), '')
    .replace(new RegExp(`${n} (?:s|min|h)\\b`, 'g'), '<age>')
    .replace(new RegExp(n, 'g'), '<n>')
    .replace(/ +/g, ' ')
}

/** Names of the README's blocks whose masked text differs from the service's, with the first differing line. */
export function drift (readme: string, transcripts: Map<string, string>): string[] {
  const problems: string[] = []
  for (const [name, body] of transcripts) {
    const found = block(name).exec(readme)
    if (found === null) { problems.push(`${name}: no block in README.md`); continue }
    const want = masked(body).split('\n')
    const have = masked(found[2] ?? '').split('\n')
    const i = want.findIndex((line, k) => line !== have[k])
    if (i >= 0 || have.length !== want.length) {
      const k = i >= 0 ? i : Math.min(want.length, have.length)
      problems.push(`${name}, line ${k + 1}: README has "${have[k] ?? '(nothing)'}", the service prints "${want[k] ?? '(nothing)'}"`)
    }
  }
  return problems
}

async function main (args: string[]): Promise<number> {
  const transcripts = await produce()
  const readme = readFileSync(README, 'utf8')
  if (args.includes('--check')) {
    const problems = drift(readme, transcripts)
    for (const p of problems) process.stderr.write(`README transcript out of date: ${p}\n`)
    if (problems.length > 0) process.stderr.write('run `npm run docs:transcripts` and commit README.md\n')
    return problems.length > 0 ? 1 : 0
  }
  writeFileSync(README, rewrite(readme, transcripts))
  process.stdout.write(`README.md: ${[...transcripts.keys()].join(', ')} written\n`)
  return 0
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(code => { process.exitCode = code }, (err: unknown) => {
    process.stderr.write(`transcripts: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = 1
  })
}
