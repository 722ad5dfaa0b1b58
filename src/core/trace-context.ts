// The one place core meets a tracer, without importing one: `n1guard/otel` registers a provider
// here, core calls it where a scope opens and where a statement is tagged for sqlcommenter.
import { internalError } from './internal-error.js'
import { processState } from './process-state.js'
import type { Scope } from './scope.js'

/** What a tracing integration (`n1guard/otel`) gives core. Both calls run in the caller's async context. */
export interface TraceContextProvider {
  /**
   * Something to remember about the context a scope opens in (OpenTelemetry's active span), or
   * undefined when there is nothing. Called when a scope opens and, if that gave nothing, at the
   * scope's first query; handed back to reporters as `ScopeReport.traceContext`.
   */
  capture(): unknown
  /** The active trace context as a W3C `traceparent`, for sqlcommenter tags; undefined when none. */
  traceparent(): string | undefined
}

// Shared by every copy of n1guard (see process-state.ts), so a provider registered by one copy
// serves detectors made by another. Found once: reading it is a plain property read, where a symbol
// lookup on globalThis (a dictionary) on every scope was not free.
const holder = processState as { traceContextProvider: TraceContextProvider | undefined }

/** Registers (or with undefined, removes) the process's trace-context provider. @internal */
export function setTraceContextProvider(provider: TraceContextProvider | undefined): void {
  holder.traceContextProvider = provider
}

/** The registered trace-context provider, if any. @internal */
export function traceContextProvider(): TraceContextProvider | undefined {
  return holder.traceContextProvider
}

/**
 * Asks the provider about the current async context for `scope`: where it opens, and if that gave
 * nothing (a job whose span starts inside it), once more at its first query. @internal
 */
export function probeTraceContext(scope: Scope): void {
  const provider = holder.traceContextProvider
  if (provider === undefined || scope.traceContext !== undefined) return
  try {
    scope.traceContext = provider.capture()
  } catch (error) {
    internalError('reading the trace context', error)
  }
}

/** `{ traceContext }` for a scope's report, or nothing. @internal */
export function traceContextOf(scope: Scope): { traceContext?: unknown } {
  return scope.traceContext === undefined ? {} : { traceContext: scope.traceContext }
}
