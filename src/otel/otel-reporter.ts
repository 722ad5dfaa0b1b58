import { isAbsolute, resolve } from 'node:path'
import { context, isSpanContextValid, metrics, trace, type Attributes, type Meter, type Span, type Tracer } from '@opentelemetry/api'
import { internalError } from '../core/internal-error.js'
import { describeValue } from '../core/options.js'
import { setTraceContextProvider, traceContextProvider, type TraceContextProvider } from '../core/trace-context.js'
import type { Finding, FindingKind, Reporter, ScopeReport } from '../core/types.js'
import { sqlInfo } from '../fingerprint/index.js'

/**
 * Span event names, one per finding kind.
 *
 * @example
 * span.events.filter((e) => e.name === FINDING_EVENT_NAMES['n-plus-one'])
 */
export const FINDING_EVENT_NAMES: Readonly<Record<FindingKind, string>> = Object.freeze({
  'n-plus-one': 'n1guard.n_plus_one',
  duplicate: 'n1guard.duplicate',
  'query-budget': 'n1guard.query_budget',
  'missing-index': 'n1guard.missing_index',
  'deep-offset': 'n1guard.deep_offset',
  'unbounded-select': 'n1guard.unbounded_select',
})

/**
 * Metric names (OpenTelemetry naming: a namespace, dots, counts of things pluralized with a
 * `{unit}` annotation).
 *
 * @example
 * metrics.find((m) => m.descriptor.name === METRIC_NAMES.findings)
 */
export const METRIC_NAMES = Object.freeze({
  /** Counter of findings, attribute `n1guard.kind`; unit `{finding}`. */
  findings: 'n1guard.findings',
  /** Histogram of statements per scope (request, job); unit `{query}`. */
  scopeQueries: 'n1guard.scope.queries',
})

/** Options of `otelReporter`. */
export interface OtelReporterOptions {
  /**
   * The span a scope's findings go on. By default: the span that was active where the scope opened
   * (the request span under OpenTelemetry's HTTP instrumentation), or at its first query, or the
   * active span when the scope ends.
   * @default the scope's captured span
   */
  readonly span?: (report: ScopeReport) => Span | undefined
  /**
   * Used only when the scope's span had already ended: the findings then go on a short child span
   * `n1guard.findings` of it, in the same trace.
   * @default trace.getTracer('n1guard')
   */
  readonly tracer?: Tracer
  /** Where the counter and the histogram live. @default metrics.getMeter('n1guard') */
  readonly meter?: Meter
  /**
   * Extra attributes for both metrics. Keep their values few (route patterns, not URLs).
   * @default none
   */
  readonly metricAttributes?: (report: ScopeReport) => Attributes
}

const OPERATIONS: Partial<Record<string, string>> = { select: 'SELECT', insert: 'INSERT', update: 'UPDATE', delete: 'DELETE', merge: 'MERGE' }
const QUERY_BUCKETS = [1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000]

function isSpan(value: unknown): value is Span {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Span).addEvent === 'function' &&
    typeof (value as Span).spanContext === 'function' &&
    typeof (value as Span).isRecording === 'function'
  )
}

function traceparentOf(span: Span | undefined): string | undefined {
  const sc = span?.spanContext()
  if (sc === undefined || !isSpanContextValid(sc)) return undefined
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`
}

const PROVIDER: TraceContextProvider = Object.freeze({
  capture: () => trace.getActiveSpan(),
  traceparent: () => traceparentOf(trace.getActiveSpan()),
})

/**
 * Lets n1guard read OpenTelemetry's context: scopes remember the span active where they open
 * (for `otelReporter`), and sqlcommenter tags carry `traceparent`. `otelReporter()` calls it; call
 * it yourself to get `traceparent` tags without the reporter. Idempotent.
 *
 * @example
 * import { enableTraceContext } from 'n1guard/otel'
 * enableTraceContext()
 * const detector = createDetector({ sqlcommenter: true })
 */
export function enableTraceContext(): void {
  if (traceContextProvider() !== PROVIDER) setTraceContextProvider(PROVIDER)
}

/**
 * The span event attributes of one finding: database and code semantic conventions, plus
 * n1guard's own. Never parameter values: `db.query.text` is the shape.
 *
 * @example
 * span.addEvent('n1guard.n_plus_one', findingAttributes(finding))
 */
export function findingAttributes(f: Finding): Attributes {
  const attributes: Attributes = {
    'db.system.name': 'postgresql',
    'db.query.text': f.sql,
  }
  if (f.table !== undefined) attributes['db.collection.name'] = f.table
  const operation = OPERATIONS[sqlInfo(f.sql).kind]
  if (operation !== undefined) attributes['db.operation.name'] = operation
  const site = f.callSite
  if (site !== undefined) {
    attributes['code.file.path'] = isAbsolute(site.file) ? site.file : resolve(site.file)
    attributes['code.line.number'] = site.line
    attributes['code.column.number'] = site.column
    if (site.function !== undefined) attributes['code.function.name'] = site.function
  }
  attributes['n1guard.kind'] = f.kind
  attributes['n1guard.count'] = f.count
  attributes['n1guard.distinct_params'] = f.distinctParams
  attributes['n1guard.parallel'] = f.parallel
  attributes['n1guard.finding.id'] = f.id
  attributes['n1guard.hint'] = f.hint
  attributes['n1guard.severity'] = f.severity
  attributes['n1guard.proven'] = f.proven
  if (f.source !== undefined) {
    // The query whose result fed the loop, as shapes and names only (never values).
    attributes['n1guard.source.query_text'] = f.source.sql
    if (f.source.table !== undefined) attributes['n1guard.source.collection'] = f.source.table
    attributes['n1guard.source.column'] = f.source.column
    attributes['n1guard.source.row_count'] = f.source.rowCount
  }
  if (f.pattern !== undefined) attributes['n1guard.pattern.query_texts'] = f.pattern.map((m) => m.sql)
  if (f.budget !== undefined) attributes['n1guard.budget'] = f.budget
  if (f.baselined === true) attributes['n1guard.baselined'] = true
  return attributes
}

function checkOptions(options: unknown): OtelReporterOptions {
  if (options === undefined) return {}
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`n1guard: otelReporter options must be an object, got ${describeValue(options)}`)
  }
  const o = options as Record<string, unknown>
  for (const key of Object.keys(o)) {
    if (!['span', 'tracer', 'meter', 'metricAttributes'].includes(key)) {
      throw new TypeError(`n1guard: otelReporter: unknown option ${JSON.stringify(key)} (known: span, tracer, meter, metricAttributes)`)
    }
  }
  for (const key of ['span', 'metricAttributes'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'function') throw new TypeError(`n1guard: otelReporter option \`${key}\` must be a function, got ${describeValue(o[key])}`)
  }
  if (o.tracer !== undefined && typeof (o.tracer as Tracer | null)?.startSpan !== 'function') {
    throw new TypeError(`n1guard: otelReporter option \`tracer\` must be an OpenTelemetry Tracer, got ${describeValue(o.tracer)}`)
  }
  if (o.meter !== undefined && typeof (o.meter as Meter | null)?.createCounter !== 'function') {
    throw new TypeError(`n1guard: otelReporter option \`meter\` must be an OpenTelemetry Meter, got ${describeValue(o.meter)}`)
  }
  return o as OtelReporterOptions
}

/**
 * Reports to OpenTelemetry. Each finding becomes an event on the scope's span (the request span
 * with OpenTelemetry's HTTP instrumentation), named `n1guard.n_plus_one` or `n1guard.duplicate`,
 * with `db.query.text` (the shape, never values), `db.collection.name`, `db.system.name`,
 * `code.file.path`, `code.line.number`, `code.function.name`, and `n1guard.count`, `n1guard.kind`,
 * `n1guard.distinct_params`, `n1guard.parallel`. Metrics: the counter `n1guard.findings` by
 * `n1guard.kind` and the histogram `n1guard.scope.queries`. Nothing here ever throws into the app.
 *
 * @example
 * import { otelReporter } from 'n1guard/otel'
 * const detector = createDetector({ reporters: [consoleReporter(), otelReporter()] })
 */
export function otelReporter(options?: OtelReporterOptions): Reporter {
  const o = checkOptions(options)
  enableTraceContext()
  const meter = o.meter ?? metrics.getMeter('n1guard')
  const findings = meter.createCounter(METRIC_NAMES.findings, { unit: '{finding}', description: 'N+1 and duplicate query findings' })
  const scopeQueries = meter.createHistogram(METRIC_NAMES.scopeQueries, {
    unit: '{query}',
    description: 'Statements run per n1guard scope (a request, a job)',
    advice: { explicitBucketBoundaries: QUERY_BUCKETS },
  })
  const tracer = (): Tracer => o.tracer ?? trace.getTracer('n1guard')

  function spanFor(report: ScopeReport): Span | undefined {
    if (o.span !== undefined) return o.span(report)
    return isSpan(report.traceContext) ? report.traceContext : trace.getActiveSpan()
  }

  function annotate(report: ScopeReport): void {
    let span = spanFor(report)
    if (span === undefined) return
    let child: Span | undefined
    if (!span.isRecording()) {
      // An ended span takes no more events; a sampled-out one records nothing anyway.
      if ((span as { ended?: unknown }).ended !== true) return
      child = tracer().startSpan('n1guard.findings', {}, trace.setSpan(context.active(), span))
      span = child
    }
    for (const f of report.findings) span.addEvent(FINDING_EVENT_NAMES[f.kind], findingAttributes(f))
    child?.end()
  }

  return {
    report(report: ScopeReport): void {
      try {
        const extra = o.metricAttributes?.(report) ?? {}
        scopeQueries.record(report.queryCount, extra)
        for (const f of report.findings) findings.add(1, { ...extra, 'n1guard.kind': f.kind })
        if (report.findings.length > 0) annotate(report)
      } catch (error) {
        internalError('reporting to OpenTelemetry (otelReporter)', error)
      }
    },
  }
}
