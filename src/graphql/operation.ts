// One GraphQL operation (or one subscription event) as n1guard holds it: its scope, and one annotation
// per resolver path that the queries of that field's resolvers carry.
import type { GraphQLResolveInfo } from 'graphql'
import type { Detector, ScopeHandle } from '../core/detector.js'
import { internalError } from '../core/internal-error.js'
import { runAnnotated, type QueryAnnotation } from '../core/query-annotation.js'
import { describeGraphQLFindings } from './describe-findings.js'
import { operationName, type OperationLike } from './operation-name.js'

/** The annotation of one resolver path in one operation: `Query.authors.books`, field `Author.books`. */
export class FieldAnnotation implements QueryAnnotation {
  /** Times the field's resolver ran in the operation: one per parent object. */
  parents = 0
  readonly refine = describeGraphQLFindings

  constructor(
    readonly operation: Operation,
    /** `Author.books` */
    readonly field: string,
    /** `Query.authors.books` */
    readonly path: string,
    readonly parentType: string,
  ) {}
}

// The response path from the root with list indices left out: `Query.authors.books`. The root
// path entry's typename is the operation's root type.
function collapsedPath(info: GraphQLResolveInfo): string {
  let path: GraphQLResolveInfo['path'] | undefined = info.path
  let keys = ''
  let root = info.parentType.name
  for (; path !== undefined; path = path.prev) {
    if (typeof path.key === 'string') {
      keys = keys === '' ? path.key : `${path.key}.${keys}`
      if (path.prev === undefined && path.typename !== undefined) root = path.typename
    }
  }
  return `${root}.${keys}`
}

/**
 * One GraphQL operation in its own n1guard scope. `inScope`: the integration runs the whole
 * execution inside the scope already (Envelop), so resolvers need only their annotation; otherwise each
 * resolver is run inside the scope as well (Apollo, Mercurius, whose hooks cannot wrap execution).
 */
export class Operation implements QueryAnnotation {
  readonly refine = describeGraphQLFindings
  private readonly fields = new Map<string, FieldAnnotation>()
  private named: boolean

  private constructor(
    readonly handle: ScopeHandle,
    readonly inScope: boolean,
    named: boolean,
  ) {
    this.named = named
  }

  /**
   * Opens the scope of an operation named from `operation` (or later, from the first resolver's
   * `info.operation`). Returns undefined, having said why once, when n1guard itself failed.
   */
  static open(detector: Detector, operation: OperationLike | undefined, inScope: boolean, fallback = 'graphql'): Operation | undefined {
    try {
      const name = operation === undefined ? undefined : operationName(operation)
      return new Operation(detector.startScope({ name: name ?? fallback }), inScope, name !== undefined)
    } catch (error) {
      internalError('opening the scope of a GraphQL operation', error)
      return undefined
    }
  }

  /** The operation's name as n1guard shows it (`query AuthorsWithBooks`). */
  get name(): string | undefined {
    return this.handle.name
  }

  /** Runs `fn` (a whole execution) in the scope with the operation's annotation. */
  run<T>(fn: () => T): T {
    return this.handle.run(() => runAnnotated(this, fn))
  }

  /** Runs one field resolver under its path's annotation (and in the scope, when not already inside it). */
  resolve<T>(info: GraphQLResolveInfo, call: () => T): T {
    let note: FieldAnnotation
    try {
      if (!this.named) {
        this.named = true
        const name = operationName(info.operation)
        if (name !== undefined) this.handle.name = name
      }
      const path = collapsedPath(info)
      let found = this.fields.get(path)
      if (found === undefined) {
        found = new FieldAnnotation(this, `${info.parentType.name}.${info.fieldName}`, path, info.parentType.name)
        this.fields.set(path, found)
      }
      found.parents++
      note = found
    } catch (error) {
      internalError('annotating a GraphQL resolver', error)
      return call()
    }
    return this.inScope ? runAnnotated(note, call) : this.handle.run(() => runAnnotated(note, call))
  }

  /** Closes the scope (findings go to the reporters); later calls do nothing. Never throws. */
  end(): void {
    try {
      if (!this.handle.ended) this.handle.end()
    } catch (error) {
      internalError('closing the scope of a GraphQL operation', error)
    }
  }
}
