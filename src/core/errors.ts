import { explainResolver, explainSource } from './explain.js'
import { printable } from './printable.js'
import type { CallSite, Finding } from './types.js'

function where(site: CallSite | undefined): string {
  if (site === undefined) return 'an unknown call site'
  return `${site.file}:${site.line}${site.function === undefined ? '' : ` (${site.function})`}`
}

function describe(findings: readonly Finding[]): string {
  const first = findings[0]
  const scope = first?.scope.name ?? first?.scope.id
  const head =
    findings.length === 1
      ? `n1guard: N+1 query${scope === undefined ? '' : ` in ${scope}`}`
      : `n1guard: ${findings.length} N+1 queries${scope === undefined ? '' : ` in ${scope}`}`
  const lines = [head]
  for (const f of findings) {
    const graphql = explainResolver(f)
    if (graphql !== undefined) lines.push(`  - ${graphql}`)
    lines.push(
      `  ${graphql === undefined ? '-' : ' '} ${f.count} × ${f.sql}`,
      `    at ${where(f.callSite)}${f.parallel ? ' (in parallel)' : ''}, ${f.distinctParams} distinct parameter sets`,
    )
    const proof = explainSource(f)
    if (proof !== undefined) lines.push(`    proof: ${proof} (${where(f.source?.callSite)})`)
    for (const m of f.pattern?.slice(1) ?? []) lines.push(`    and per row: ${m.count} × ${m.sql} at ${where(m.callSite)}`)
    lines.push(`    fix: ${f.hint}`)
  }
  // Test runners print the message on a terminal: no control character from names or SQL.
  return lines.map(printable).join('\n')
}

/**
 * Thrown (as a rejection) by `detector.assertNoNPlusOne`, and by `detector.run` in `'throw'`
 * mode, when a scope ran an N+1. The message names each finding's SQL shape, count and call site
 * `file:line`; `findings` holds the details.
 *
 * @example
 * try {
 *   await detector.assertNoNPlusOne(() => listPeopleWithPets(db))
 * } catch (error) {
 *   if (error instanceof NPlusOneError) console.log(error.findings[0].callSite)
 * }
 */
export class NPlusOneError extends Error {
  readonly findings: readonly Finding[]

  constructor(findings: readonly Finding[], message: string = describe(findings)) {
    super(message)
    this.name = 'NPlusOneError'
    this.findings = Object.freeze([...findings])
  }
}
