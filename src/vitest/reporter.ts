/**
 * A Vitest reporter that prints one n1guard summary at the end of the run: each distinct finding
 * once, ranked by the queries it cost, with the tests that hit it. With `json` (or the
 * `N1GUARD_SUMMARY_JSON` environment variable) it also writes the summary as JSON, for CI; with
 * `html` (or `N1GUARD_REPORT_HTML`) one self-contained HTML report of every finding, by test and
 * scope, the same page as `n1guard/panel`'s (a CI artefact that opens with a double click).
 * Findings come from `n1guard/vitest/setup` in the workers, through Vitest's task meta.
 *
 * @example
 * // vitest.config.ts
 * export default defineConfig({
 *   test: {
 *     setupFiles: ['n1guard/vitest/setup'],
 *     reporters: ['default', ['n1guard/vitest/reporter', { json: 'reports/n1guard.json', html: 'reports/n1guard.html' }]],
 *   },
 * })
 * @module n1guard/vitest/reporter
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { Reporter, TestCase, TestModule, Vitest } from 'vitest/node'
import { describeValue } from '../core/options.js'
import type { Finding } from '../core/types.js'
import { renderReport } from '../panel/report.js'
import { META_KEY, type FileMeta, type TestMeta } from './meta.js'
import { buildSummary, formatSummary, type Sighting } from './summary.js'

/** Options of `n1guard/vitest/reporter`. */
export interface N1guardReporterOptions {
  /**
   * Also write the summary as JSON to this path (relative to the Vitest root). Env:
   * `N1GUARD_SUMMARY_JSON`.
   * @default not written
   */
  readonly json?: string
  /**
   * Also write an HTML report (one self-contained file: no network needed to open it) to this path,
   * relative to the Vitest root. Env: `N1GUARD_REPORT_HTML`.
   * @default not written
   */
  readonly html?: string
  /**
   * Print the summary when the run ends.
   * @default true
   */
  readonly print?: boolean
}

/**
 * The reporter class Vitest instantiates for `'n1guard/vitest/reporter'`; also usable as an
 * instance: `reporters: ['default', new N1guardReporter({ json: 'n1guard.json' })]`.
 *
 * @example
 * import N1guardReporter from 'n1guard/vitest/reporter'
 * export default defineConfig({ test: { reporters: ['default', new N1guardReporter()] } })
 */
export default class N1guardReporter implements Reporter {
  private readonly sightings: Sighting[] = []
  private readonly json: string | undefined
  private readonly html: string | undefined
  private readonly print: boolean
  private vitest: Vitest | undefined

  constructor(options: N1guardReporterOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError(`n1guard: reporter options must be an object, got ${describeValue(options)}`)
    const json = options.json ?? (process.env.N1GUARD_SUMMARY_JSON || undefined)
    if (json !== undefined && (typeof json !== 'string' || json === '')) {
      throw new TypeError(`n1guard: reporter option \`json\` must be a file path, got ${describeValue(json)}`)
    }
    const html = options.html ?? (process.env.N1GUARD_REPORT_HTML || undefined)
    if (html !== undefined && (typeof html !== 'string' || html === '')) {
      throw new TypeError(`n1guard: reporter option \`html\` must be a file path, got ${describeValue(html)}`)
    }
    this.html = html
    if (options.print !== undefined && typeof options.print !== 'boolean') {
      throw new TypeError(`n1guard: reporter option \`print\` must be a boolean, got ${describeValue(options.print)}`)
    }
    this.json = json
    this.print = options.print ?? true
  }

  onInit(vitest: Vitest): void {
    this.vitest = vitest
  }

  onTestRunStart(): void {
    this.sightings.length = 0
  }

  onTestCaseResult(testCase: TestCase): void {
    const meta = (testCase.meta() as Record<string, unknown>)[META_KEY] as TestMeta | undefined
    if (meta === undefined) return
    const file = testCase.module.relativeModuleId
    for (const finding of meta.findings) this.sightings.push({ test: `${file} > ${testCase.fullName}`, file, finding })
  }

  onTestModuleEnd(testModule: TestModule): void {
    const meta = (testModule.meta() as Record<string, unknown>)[META_KEY] as FileMeta | undefined
    if (meta === undefined) return
    const file = testModule.relativeModuleId
    for (const { test, ...finding } of meta.findings) {
      this.sightings.push({ test: test === undefined ? `${file} (outside a test)` : `${file} > ${test}`, file, finding })
    }
  }

  onTestRunEnd(): void {
    const summary = buildSummary(this.sightings)
    const log = (text: string): void => {
      if (this.vitest !== undefined) this.vitest.logger.log(text)
      else process.stdout.write(`${text}\n`)
    }
    if (this.print) log(`\n${formatSummary(summary).join('\n')}\n`)
    const write = (file: string, what: string, content: () => string): void => {
      const path = resolve(this.vitest?.config.root ?? process.cwd(), file)
      try {
        mkdirSync(dirname(path), { recursive: true })
        writeFileSync(path, content())
      } catch (error) {
        log(`n1guard: could not write the ${what} to ${path}: ${error instanceof Error ? error.message : String(error)}`)
      }
    }
    if (this.json !== undefined) write(this.json, 'summary', () => `${JSON.stringify(summary, null, 2)}\n`)
    if (this.html !== undefined) {
      // One scope per (test, scope): a reviewer reads the report test by test.
      const findings = this.sightings.map(({ test, finding }) => ({
        ...finding,
        scope: { id: `${test}\u0000${finding.scope.id}`, name: `${test} › ${finding.scope.name ?? finding.scope.id}` },
      })) as unknown as Finding[]
      write(this.html, 'HTML report', () => renderReport({ title: 'n1guard report (Vitest)', findings }))
    }
  }
}

export type { Summary, SummaryFinding, SummaryTest } from './summary.js'
