// Execution wrapped in an operation scope: for integrations that can replace graphql-js's
// `execute` and `subscribe` (Envelop and GraphQL Yoga, graphql-ws, a hand-written server).
import type { DocumentNode, ExecutionArgs } from 'graphql'
import type { Detector } from '../core/detector.js'
import { internalError } from '../core/internal-error.js'
import { runAnnotated } from '../core/query-annotation.js'
import { instrumentSchema } from './instrument-schema.js'
import { Operation } from './operation.js'
import { selectOperation } from './operation-name.js'
import { SubscriptionStream } from './subscription-stream.js'

/**
 * The parts of graphql-js's `ExecutionArgs` n1guard reads.
 *
 * @example
 * const args: ExecutionArgsLike = { schema, document: parse('query A { a }'), operationName: 'A' }
 */
export type ExecutionArgsLike = Pick<ExecutionArgs, 'schema'> & {
  readonly document: Pick<DocumentNode, 'definitions'>
  readonly operationName?: string | null | undefined
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function'
}

function asyncIteratorOf(value: unknown): AsyncIterator<unknown> | undefined {
  if (value === null || typeof value !== 'object') return undefined
  const make = (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator]
  return typeof make === 'function' ? make.call(value) : undefined
}

function prepare(args: ExecutionArgsLike): void {
  try {
    instrumentSchema(args.schema)
  } catch (error) {
    internalError('wrapping the resolvers of a GraphQL schema', error)
  }
}

// An incremental result (@defer / @stream) keeps its operation's scope open until it is done.
function endWhenDone(op: Operation, iterator: AsyncIterator<unknown>): AsyncIterableIterator<unknown> {
  const settle = <T>(p: Promise<IteratorResult<T>>): Promise<IteratorResult<T>> =>
    p.then(
      (r) => {
        if (r.done === true) op.end()
        return r
      },
      (e: unknown) => {
        op.end()
        throw e
      },
    )
  return {
    next: (...a: [] | [unknown]) => settle(op.run(() => iterator.next(...a))),
    return: (value?: unknown) => {
      op.end()
      return iterator.return === undefined ? Promise.resolve({ done: true as const, value }) : iterator.return(value)
    },
    throw: (error?: unknown) => {
      op.end()
      return iterator.throw === undefined ? Promise.reject(error) : iterator.throw(error)
    },
    [Symbol.asyncIterator]() {
      return this
    },
  }
}

function finish(op: Operation, result: unknown): unknown {
  const iterator = asyncIteratorOf(result)
  if (iterator !== undefined) return endWhenDone(op, iterator)
  op.end()
  return result
}

/**
 * Runs one execution (`execute(args)`) in its own operation scope, named from the document and
 * operation name; returns what `execute` returns, errors included, unchanged.
 *
 * @example
 * const result = await executeInScope(detector, args, () => execute(args))
 */
export function executeInScope<T>(detector: Detector, args: ExecutionArgsLike, execute: () => T): T {
  prepare(args)
  const op = Operation.open(detector, selectOperation(args.document, args.operationName), true)
  if (op === undefined) return execute()
  let result: T
  try {
    result = op.run(execute)
  } catch (error) {
    op.end()
    throw error
  }
  if (isPromiseLike(result)) {
    return Promise.resolve(result).then(
      (r) => finish(op, r),
      (e: unknown) => {
        op.end()
        throw e
      },
    ) as T
  }
  return finish(op, result) as T
}

// Each `next()` executes one event: it runs under the stream's annotation, whose root field opens the
// event's scope, and the event's scope closes when `next()` settles.
function perEvent(stream: SubscriptionStream, iterator: AsyncIterator<unknown>): AsyncIterableIterator<unknown> {
  const end = <T>(p: Promise<T>): Promise<T> =>
    p.then(
      (r) => {
        stream.endEvent()
        return r
      },
      (e: unknown) => {
        stream.endEvent()
        throw e
      },
    )
  return {
    next: (...a: [] | [unknown]) => end(runAnnotated(stream, () => iterator.next(...a))),
    return: (value?: unknown) => {
      stream.endEvent()
      return iterator.return === undefined ? Promise.resolve({ done: true as const, value }) : iterator.return(value)
    },
    throw: (error?: unknown) => {
      stream.endEvent()
      return iterator.throw === undefined ? Promise.reject(error) : iterator.throw(error)
    },
    [Symbol.asyncIterator]() {
      return this
    },
  }
}

/**
 * Runs `subscribe(args)` so that each event of the subscription executes in its own scope
 * (`subscription OnReview`, one per event); returns what `subscribe` returns, errors included.
 *
 * @example
 * const stream = await subscribeInScopes(detector, args, () => subscribe(args))
 */
export function subscribeInScopes<T>(detector: Detector, args: ExecutionArgsLike, subscribe: () => T): T {
  prepare(args)
  let stream: SubscriptionStream
  try {
    stream = new SubscriptionStream(detector)
  } catch (error) {
    internalError('following a GraphQL subscription', error)
    return subscribe()
  }
  const wrapResult = (r: unknown): unknown => {
    const iterator = asyncIteratorOf(r)
    return iterator === undefined ? r : perEvent(stream, iterator)
  }
  const result = subscribe()
  return (isPromiseLike(result) ? Promise.resolve(result).then(wrapResult) : wrapResult(result)) as T
}
