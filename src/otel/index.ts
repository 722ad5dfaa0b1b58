/**
 * n1guard for OpenTelemetry: findings as span events on the request span, a findings counter and
 * a queries-per-scope histogram, and `traceparent` in sqlcommenter tags. Only needs
 * `@opentelemetry/api`; the SDK is the application's.
 *
 * @example
 * import { otelReporter } from 'n1guard/otel'
 * const detector = createDetector({ reporters: [otelReporter()], sqlcommenter: true })
 * @module n1guard/otel
 */
export {
  enableTraceContext,
  FINDING_EVENT_NAMES,
  findingAttributes,
  METRIC_NAMES,
  otelReporter,
  type OtelReporterOptions,
} from './otel-reporter.js'
