// n1guard/otel with the OpenTelemetry SDK's in-memory exporter and a metric reader: span events on
// the request span of a real HTTP request (OpenTelemetry's own HTTP instrumentation), metrics,
// traceparent in sqlcommenter tags, and failures that never reach the app.
import { createRequire } from 'node:module'
import { context, metrics, SpanKind, trace, type Span } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http'
import { AggregationTemporality, MeterProvider, MetricReader, type HistogramMetricData } from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import express from 'express'
import { Kysely, PostgresDialect, sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest'
import { createDetector, type Detector, type ScopeReport } from '../../src/index.js'
import { setTraceContextProvider } from '../../src/core/trace-context.js'
import { expressMiddleware } from '../../src/http/express.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import { enableTraceContext, FINDING_EVENT_NAMES, METRIC_NAMES, otelReporter } from '../../src/otel/index.js'
import type { PetShopDB } from '../../examples/support/schema.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'
import { siteOf } from '../support/sites.js'
import { serve, type Served } from '../support/serve.js'
import { until } from '../support/until.js'

class TestMetricReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE })
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const here = import.meta.url
const SENTINEL = 'sentinel-0tel-value'
const exporter = new InMemorySpanExporter()
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
const tracer = provider.getTracer('test')
const reader = new TestMetricReader()
const meterProvider = new MeterProvider({ readers: [reader] })
const http = new HttpInstrumentation()
const contextManager = new AsyncLocalStorageContextManager()

let db: TestDatabase
let detector: Detector
let kdb: Kysely<PetShopDB>
let served: Served
const reports: ScopeReport[] = []

beforeAll(async () => {
  context.setGlobalContextManager(contextManager.enable())
  trace.setGlobalTracerProvider(provider)
  metrics.setGlobalMeterProvider(meterProvider)
  http.setTracerProvider(provider)
  http.enable()
  // The instrumentation patches `http` when it is next required; ESM imports share that module.
  createRequire(import.meta.url)('node:http')
  db = await createTestDatabase({ people: 3, petsPerPerson: 1 })
  detector = createDetector({ reporters: [otelReporter(), (r) => reports.push(r)], sqlcommenter: true, captureParams: true })
  kdb = new Kysely<PetShopDB>({ dialect: instrumentDialect(new PostgresDialect({ pool: db.pool({ max: 2 }) }), detector) })
  const app = express()
  app.use(expressMiddleware(detector))
  app.get('/people/:n/pets', async (req, res) => {
    res.json({ pets: await petsLoop(Number(req.params.n)) })
  })
  served = await serve(app)
})

afterAll(async () => {
  await served.close()
  await kdb.destroy()
  await db.drop()
  http.disable()
  setTraceContextProvider(undefined)
  trace.disable()
  metrics.disable()
  context.disable()
  await meterProvider.shutdown()
})

beforeEach(() => {
  exporter.reset()
  reports.length = 0
})

async function petsLoop(limit = 3): Promise<number> {
  const people = await kdb.selectFrom('person').select('id').orderBy('id').limit(limit).execute()
  let n = 0
  for (const p of people) n += (await kdb.selectFrom('pet').selectAll().where('owner_id', '=', p.id).where('name', '<>', SENTINEL).execute()).length // @site:loop
  return n
}

function spans(): ReadableSpan[] {
  return exporter.getFinishedSpans()
}

describe('otelReporter: span events', () => {
  test('on the request span of a real HTTP request, with semantic-convention attributes', async () => {
    const response = await fetch(`${served.base}/people/3/pets`)
    expect(response.status).toBe(200)
    await until(() => spans().some((s) => s.kind === SpanKind.SERVER))
    const serverSpans = spans().filter((s) => s.kind === SpanKind.SERVER)
    expect(serverSpans).toHaveLength(1)
    const span = serverSpans[0]!
    expect(span.instrumentationScope.name).toBe('@opentelemetry/instrumentation-http')
    expect(span.events.map((e) => e.name)).toEqual([FINDING_EVENT_NAMES['n-plus-one']])
    const site = siteOf(here, 'loop')
    expect(span.events[0]!.attributes).toEqual({
      'db.system.name': 'postgresql',
      'db.query.text': 'select * from "pet" where "owner_id" = ? and "name" <> ?',
      'db.collection.name': 'pet',
      'db.operation.name': 'SELECT',
      'code.file.path': `${process.cwd()}/${site.file}`,
      'code.line.number': site.line,
      'code.column.number': expect.any(Number),
      'code.function.name': 'petsLoop',
      'n1guard.kind': 'n-plus-one',
      'n1guard.count': 3,
      'n1guard.distinct_params': 3,
      'n1guard.parallel': false,
      'n1guard.finding.id': reports[0]!.findings[0]!.id,
      'n1guard.hint': expect.stringContaining('owner_id'),
      'n1guard.severity': 'high',
      'n1guard.proven': true,
      'n1guard.source.query_text': 'select "id" from "person" order by "id" limit ?',
      'n1guard.source.collection': 'person',
      'n1guard.source.column': 'id',
      'n1guard.source.row_count': 3,
    })
    // The event was added while the span was still open: no stray n1guard span.
    expect(spans().filter((s) => s.name === 'n1guard.findings')).toEqual([])
    expect(JSON.stringify(spans().map((s) => [s.attributes, s.events]))).not.toContain(SENTINEL)
  })

  test('a job whose span starts inside the scope: the span active at its first query', async () => {
    await detector.run('nightly', () =>
      tracer.startActiveSpan('nightly job', async (span) => {
        await petsLoop()
        span.end()
      }),
    )
    const job = spans().find((s) => s.name === 'nightly job')!
    // The job span ended before the scope did: the findings go on a child span of it.
    const child = spans().find((s) => s.name === 'n1guard.findings')!
    expect(job.events).toEqual([])
    expect(child.parentSpanContext?.spanId).toBe(job.spanContext().spanId)
    expect(child.spanContext().traceId).toBe(job.spanContext().traceId)
    expect(child.events.map((e) => [e.name, e.attributes?.['n1guard.count']])).toEqual([['n1guard.n_plus_one', 3]])
  })

  test('a span active where the scope opens gets the events; duplicates have their own name', async () => {
    await tracer.startActiveSpan('parent', async (span) => {
      await detector.run('with duplicates', async () => {
        for (let i = 0; i < 2; i++) await kdb.selectFrom('person').selectAll().where('id', '=', 1).execute()
        await petsLoop(2)
      })
      span.end()
    })
    const parent = spans().find((s) => s.name === 'parent')!
    expect(parent.events.map((e) => [e.name, e.attributes?.['n1guard.kind'], e.attributes?.['n1guard.count']])).toEqual([
      ['n1guard.duplicate', 'duplicate', 2],
      ['n1guard.n_plus_one', 'n-plus-one', 2],
    ])
  })

  test('the span option picks the span', async () => {
    const chosen = tracer.startSpan('chosen')
    const d = createDetector({ reporters: [otelReporter({ span: () => chosen })] })
    const k = new Kysely<PetShopDB>({ dialect: instrumentDialect(new PostgresDialect({ pool: db.pool({ max: 1 }) }), d) })
    await d.run('x', async () => {
      for (const id of [1, 2]) await k.selectFrom('pet').selectAll().where('owner_id', '=', id).execute()
    })
    chosen.end()
    await k.destroy()
    expect(spans().find((s) => s.name === 'chosen')!.events.map((e) => e.name)).toEqual(['n1guard.n_plus_one'])
  })
})

describe('otelReporter: metrics', () => {
  test('a counter of findings by kind and a histogram of queries per scope', async () => {
    const before = await collect()
    await detector.run('metrics', () => petsLoop(3))
    await detector.run('clean', () => kdb.selectFrom('person').selectAll().execute())
    const after = await collect()
    expect(after.findings['n-plus-one']! - (before.findings['n-plus-one'] ?? 0)).toBe(1)
    expect(after.histogram.count - before.histogram.count).toBe(2)
    expect(after.histogram.sum - before.histogram.sum).toBe(4 + 1)
    expect(after.unit).toEqual({ findings: '{finding}', scopeQueries: '{query}' })
  })

  async function collect(): Promise<{ findings: Record<string, number>; histogram: { count: number; sum: number }; unit: Record<string, string> }> {
    const { resourceMetrics } = await reader.collect()
    const all = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics)
    const counter = all.find((m) => m.descriptor.name === METRIC_NAMES.findings)
    const histogram = all.find((m) => m.descriptor.name === METRIC_NAMES.scopeQueries) as HistogramMetricData | undefined
    const findings: Record<string, number> = {}
    for (const point of counter?.dataPoints ?? []) findings[String(point.attributes['n1guard.kind'])] = point.value as number
    const points = histogram?.dataPoints ?? []
    return {
      findings,
      histogram: { count: points.reduce((n, p) => n + p.value.count, 0), sum: points.reduce((n, p) => n + (p.value.sum ?? 0), 0) },
      unit: { findings: counter?.descriptor.unit ?? '', scopeQueries: histogram?.descriptor.unit ?? '' },
    }
  }
})

describe('traceparent in sqlcommenter tags', () => {
  test('PostgreSQL sees the trace and span of the active span', async () => {
    enableTraceContext()
    const q = await tracer.startActiveSpan('query span', async (span: Span) => {
      const result = await detector.run({ id: 'req-9', name: 'GET /q' }, () => sql<{ q: string }>`select current_query() as q`.execute(kdb))
      span.end()
      return { q: result.rows[0]!.q, traceId: span.spanContext().traceId, spanId: span.spanContext().spanId }
    })
    expect(q.q).toBe(`select current_query() as q /*n1guard_scope='req-9',route='GET%20%2Fq',traceparent='00-${q.traceId}-${q.spanId}-01'*/`)
  })
})

describe('failures stay inside n1guard', () => {
  test('a span that throws on addEvent never reaches the request, and is said once', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      const broken = { addEvent: () => { throw new Error('exporter down') }, isRecording: () => true, spanContext: () => ({}) } as unknown as Span
      const d = createDetector({ reporters: [otelReporter({ span: () => broken })] })
      const k = new Kysely<PetShopDB>({ dialect: instrumentDialect(new PostgresDialect({ pool: db.pool({ max: 1 }) }), d) })
      const loop = async () => {
        for (const id of [1, 2]) await k.selectFrom('pet').selectAll().where('owner_id', '=', id).execute()
        return 'done'
      }
      await expect(d.run('a', loop)).resolves.toBe('done')
      await expect(d.run('b', loop)).resolves.toBe('done')
      await k.destroy()
      expect(stderr.mock.calls.map((c) => String(c[0])).filter((s) => s.includes('exporter down'))).toHaveLength(1)
    } finally {
      stderr.mockRestore()
    }
  })

  test('bad options are TypeErrors naming the value', () => {
    expect(() => otelReporter({ span: 'current' } as never)).toThrow(/`span` must be a function, got "current"/)
    expect(() => otelReporter({ tracer: {} } as never)).toThrow(/`tracer` must be an OpenTelemetry Tracer, got \{\}/)
    expect(() => otelReporter({ meter: 1 } as never)).toThrow(/`meter` must be an OpenTelemetry Meter, got 1/)
    expect(() => otelReporter({ spam: 1 } as never)).toThrow(/unknown option "spam"/)
  })
})
