// OpenTelemetry's pg instrumentation with the SDK and a no-op exporter: the tool many teams already
// run, as a yardstick. It patches pg's prototypes when enabled, so it must be registered before pg
// is first required, and it is switched on only while its own variant runs.
import { createRequire } from 'node:module'

export interface OtelHandle {
  enable(): void
  disable(): void
  /** Spans handed to the exporter so far: proof the instrumentation was really on. */
  exported(): number
}

export function setUpOtel(): OtelHandle {
  const require = createRequire(import.meta.url)
  const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node')
  const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base')
  const { registerInstrumentations } = require('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation')
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg')
  let exported = 0
  const exporter = {
    export(spans: unknown[], done: (result: { code: number }) => void) {
      exported += spans.length
      done({ code: 0 })
    },
    shutdown: async () => undefined,
  }
  const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] })
  provider.register()
  const instrumentation = new PgInstrumentation()
  registerInstrumentations({ instrumentations: [instrumentation], tracerProvider: provider })
  instrumentation.disable()
  return {
    enable: () => instrumentation.enable(),
    disable: () => instrumentation.disable(),
    exported: () => {
      void provider.forceFlush()
      return exported
    },
  }
}
