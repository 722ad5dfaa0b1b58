#!/usr/bin/env node
// `npx n1guard report findings.ndjson -o report.html`: jsonReporter output to one HTML file.
import { readFileSync, writeFileSync } from 'node:fs'
import { readFindingsNdjson, renderReport } from './report.js'

const USAGE = 'usage: n1guard report <findings.ndjson | -> [-o report.html]\n'

function main(argv: readonly string[]): number {
  const [command, ...rest] = argv
  if (command !== 'report') {
    process.stderr.write(command === undefined || command === '--help' || command === '-h' ? USAGE : `n1guard: unknown command ${JSON.stringify(command)}\n${USAGE}`)
    return command === '--help' || command === '-h' ? 0 : 2
  }
  let input: string | undefined
  let output = 'n1guard-report.html'
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!
    if (arg === '-o' || arg === '--output') {
      const next = rest[++i]
      if (next === undefined) {
        process.stderr.write(`n1guard: ${arg} needs a file name\n${USAGE}`)
        return 2
      }
      output = next
    } else if (input === undefined) input = arg
    else {
      process.stderr.write(`n1guard: unexpected argument ${JSON.stringify(arg)}\n${USAGE}`)
      return 2
    }
  }
  if (input === undefined) {
    process.stderr.write(USAGE)
    return 2
  }
  let text: string
  try {
    text = readFileSync(input === '-' ? 0 : input, 'utf8')
  } catch (error) {
    process.stderr.write(`n1guard: cannot read ${input}: ${error instanceof Error ? error.message : String(error)}\n`)
    return 1
  }
  const findings = readFindingsNdjson(text)
  writeFileSync(output, renderReport({ findings }))
  const scopes = new Set(findings.map((f) => f.scope.id)).size
  process.stdout.write(`n1guard: ${findings.length} finding${findings.length === 1 ? '' : 's'} in ${scopes} scope${scopes === 1 ? '' : 's'} written to ${output}\n`)
  return 0
}

process.exitCode = main(process.argv.slice(2))
