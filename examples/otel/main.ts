// `npx tsx examples/otel/main.ts` (after `npm run build`; or `npm run example:otel`): the demo's
// Express + Kysely app under the OpenTelemetry SDK with its HTTP instrumentation. n1guard puts
// each finding on the request's server span as an event, counts findings in a metric, and tags
// the SQL with the trace (sqlcommenter). Spans and metrics are printed by the console exporters.
import { SpanKind } from '@opentelemetry/api'
import { registerInstrumentations } from '@opentelemetry/instrumentation'
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http'
import { ConsoleMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics'
import { ConsoleSpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import { metrics, trace } from '@opentelemetry/api'

// 1. OpenTelemetry first, before `http` (and Express) are loaded, so the instrumentation can patch them.
const ended: ReadableSpan[] = []
const watcher: SpanProcessor = {
  onStart: () => undefined,
  onEnd: (span) => void ended.push(span),
  forceFlush: async () => undefined,
  shutdown: async () => undefined,
}
const tracerProvider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter()), watcher] })
tracerProvider.register()
const metricReader = new PeriodicExportingMetricReader({ exporter: new ConsoleMetricExporter(), exportIntervalMillis: 60_000 })
const meterProvider = new MeterProvider({ readers: [metricReader] })
metrics.setGlobalMeterProvider(meterProvider)
registerInstrumentations({ tracerProvider, instrumentations: [new HttpInstrumentation()] })

async function main(): Promise<void> {
  // 2. The app, loaded after the instrumentation.
  const { default: pg } = await import('pg')
  const { sql } = await import('kysely')
  const { createDetector } = await import('n1guard')
  const { otelReporter } = await import('n1guard/otel')
  const { createApp } = await import('../demo/app.js')
  const { startPostgres } = await import('../support/postgres.js')
  const { seedPetShop } = await import('../support/seed.js')

  const server = await startPostgres()
  const pool = new pg.Pool({ connectionString: server.url, max: 4 })
  try {
    await pool.query('drop table if exists toy, pet, person cascade')
    await seedPetShop(pool, { people: 5, petsPerPerson: 2, toysPerPet: 0 })
    // 3. n1guard: findings to OpenTelemetry, SQL tagged with the scope and the trace.
    const detector = createDetector({ reporters: [otelReporter()], sqlcommenter: true })
    const { app, db } = createApp(pool, detector)
    const http = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => http.once('listening', resolve))
    const address = http.address()
    const base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`

    for (const path of ['/people/slow', '/people/fast']) {
      const response = await fetch(base + path)
      await response.arrayBuffer()
    }
    // The server span ends on the response's 'close' event, just after the client has the body.
    while (ended.filter((s) => s.kind === SpanKind.SERVER).length < 2) await new Promise((resolve) => setImmediate(resolve))

    const serverSpans = ended.filter((s) => s.kind === SpanKind.SERVER)
    process.stdout.write('\n=== n1guard events on the server spans ===\n')
    for (const span of serverSpans) {
      process.stdout.write(`${span.name} ${span.attributes['http.route'] ?? span.attributes['url.path'] ?? ''} trace ${span.spanContext().traceId}\n`)
      for (const event of span.events) process.stdout.write(`  event ${event.name} ${JSON.stringify(event.attributes)}\n`)
      if (span.events.length === 0) process.stdout.write('  (no n1guard event: no N+1)\n')
    }
    // sqlcommenter: PostgreSQL's view of a statement run in a scope, inside a span.
    const seen = await trace.getTracer('example').startActiveSpan('nightly-report', async (span) => {
      const result = await detector.run('nightly-report', () => sql<{ q: string }>`select current_query() as q`.execute(db))
      span.end()
      return result.rows[0]!.q
    })
    process.stdout.write(`\n=== what PostgreSQL saw (pg_stat_activity shows the same) ===\n${seen}\n`)
    process.stdout.write('\n=== metrics ===\n')
    await metricReader.forceFlush()
    await new Promise<void>((resolve) => http.close(() => resolve()))
    await db.destroy()
    const withEvents = serverSpans.filter((s) => s.events.some((e) => e.name === 'n1guard.n_plus_one'))
    if (serverSpans.length !== 2 || withEvents.length !== 1) throw new Error(`expected one of two server spans to hold an N+1 event, got ${withEvents.length} of ${serverSpans.length}`)
  } finally {
    await pool.end().catch(() => undefined)
    await server.stop()
    await tracerProvider.shutdown()
    await meterProvider.shutdown()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
