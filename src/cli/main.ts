#!/usr/bin/env node
import { runCli } from './commands.js'

runCli(process.argv.slice(2), process.env).then(code => {
  process.exitCode = code
}, err => {
  process.stderr.write(`greenshift: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 1
})
