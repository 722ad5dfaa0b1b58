import { internalError } from '../core/internal-error.js'
import { describeValue } from '../core/options.js'
import { printableJson } from '../core/printable.js'
import type { Finding, Reporter, ScopeReport } from '../core/types.js'
import { findingTitle } from './format-finding.js'

/** Fields a `jsonReporter` line can hold. `sampleParams` holds parameter values and is never written unless listed. */
export type JsonField =
  | 'time'
  | 'level'
  | 'msg'
  | 'kind'
  | 'id'
  | 'scope'
  | 'sql'
  | 'table'
  | 'count'
  | 'distinctParams'
  | 'parallel'
  | 'totalDurationMs'
  | 'callSite'
  | 'stack'
  | 'sites'
  | 'hint'
  | 'fingerprint'
  | 'severity'
  | 'proven'
  | 'source'
  | 'pattern'
  | 'budget'
  | 'topShapes'
  | 'baselined'
  | 'index'
  | 'rowCount'
  | 'resolver'
  | 'sampleParams'

const ALL_FIELDS: readonly JsonField[] = [
  'time',
  'level',
  'msg',
  'kind',
  'id',
  'scope',
  'sql',
  'table',
  'count',
  'distinctParams',
  'parallel',
  'totalDurationMs',
  'callSite',
  'stack',
  'sites',
  'hint',
  'fingerprint',
  'severity',
  'proven',
  'source',
  'pattern',
  'budget',
  'topShapes',
  'baselined',
  'index',
  'rowCount',
  'resolver',
  'sampleParams',
]
const DEFAULT_FIELDS = ALL_FIELDS.filter((f) => f !== 'sampleParams')

/** Options of `jsonReporter`. */
export interface JsonReporterOptions {
  /** Where the lines go. @default process.stdout */
  readonly stream?: { write(chunk: string): unknown }
  /**
   * Which fields each line holds, in this order. `sampleParams` (parameter values) is written only
   * when listed here and the detector has `captureParams: true`.
   * @default every field but sampleParams: time, level, msg, kind, id, scope, sql, table, count, distinctParams, parallel, totalDurationMs, callSite, stack, sites, hint, fingerprint
   */
  readonly fields?: readonly JsonField[]
}

/**
 * One finding as the plain object `jsonReporter` writes, holding `fields` (absent values are left
 * out). For loggers that take objects: `logger.warn(findingLogEntry(f))`.
 *
 * @example
 * createDetector({ reporters: [(r) => r.findings.forEach((f) => logger.warn(findingLogEntry(f, ['kind', 'sql', 'count', 'callSite'])))] })
 */
export function findingLogEntry(f: Finding, fields: readonly JsonField[] = DEFAULT_FIELDS, now: Date = new Date()): Record<string, unknown> {
  const entry: Record<string, unknown> = {}
  for (const field of fields) {
    switch (field) {
      case 'time':
        entry.time = now.toISOString()
        break
      case 'level':
        entry.level = 'warn'
        break
      case 'msg':
        entry.msg = `n1guard: ${findingTitle(f)}`
        break
      case 'totalDurationMs':
        // µs precision: 16.518491000000267 would say more than the clock measured.
        entry.totalDurationMs = Math.round(f.totalDurationMs * 1000) / 1000
        break
      default: {
        const value = (f as unknown as Record<string, unknown>)[field]
        if (value !== undefined) entry[field] = value
      }
    }
  }
  return entry
}

function checkFields(fields: unknown): readonly JsonField[] {
  if (fields === undefined) return DEFAULT_FIELDS
  if (!Array.isArray(fields)) throw new TypeError(`n1guard: jsonReporter option \`fields\` must be an array, got ${describeValue(fields)}`)
  fields.forEach((f, i) => {
    if (!(ALL_FIELDS as readonly unknown[]).includes(f)) {
      throw new TypeError(`n1guard: jsonReporter fields[${i}] must be one of ${ALL_FIELDS.join(', ')}, got ${describeValue(f)}`)
    }
  })
  return [...(fields as JsonField[])]
}

/**
 * Writes one JSON object per finding per line (NDJSON), ready for a log shipper or for pino's
 * destination: time, level, msg, kind, id, scope, SQL shape, table, count, call site, hint.
 * Parameter values are never written unless `fields` lists `sampleParams` and the detector has
 * `captureParams: true`.
 *
 * @example
 * createDetector({ reporters: [jsonReporter()] })
 * // {"time":"2025-01-01T12:00:00.000Z","level":"warn","msg":"n1guard: N+1 query: 20 × the same shape on pet",
 * //  "kind":"n-plus-one","id":"…","scope":{"id":"…","name":"GET /people"},"sql":"select … = ?", … }
 */
export function jsonReporter(options: JsonReporterOptions = {}): Reporter {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`n1guard: jsonReporter options must be an object, got ${describeValue(options)}`)
  }
  const unknown = Object.keys(options).find((k) => k !== 'stream' && k !== 'fields')
  if (unknown !== undefined) throw new TypeError(`n1guard: jsonReporter: unknown option ${JSON.stringify(unknown)} (known: stream, fields)`)
  const stream = options.stream ?? process.stdout
  if (stream === null || typeof stream !== 'object' || typeof stream.write !== 'function') {
    throw new TypeError(`n1guard: jsonReporter option \`stream\` needs a write() method, got ${describeValue(stream)}`)
  }
  const fields = checkFields(options.fields)
  return {
    report(report: ScopeReport): void {
      if (report.findings.length === 0) return
      try {
        const now = new Date()
        let text = ''
        for (const f of report.findings) text += `${printableJson(findingLogEntry(f, fields, now))}\n`
        stream.write(text)
      } catch (error) {
        internalError('writing JSON lines (jsonReporter)', error)
      }
    },
  }
}
