// A subscription's events each get their own scope: the stream is what the resolvers of an event
// find, and the root field's resolution (which graphql-js runs once per event) opens the next one.
import type { GraphQLResolveInfo } from 'graphql'
import type { Detector } from '../core/detector.js'
import type { QueryAnnotation } from '../core/query-annotation.js'
import { describeGraphQLFindings } from './describe-findings.js'
import { Operation } from './operation.js'

/** One subscription: the scope of the event being executed, replaced at each event's root field. */
export class SubscriptionStream implements QueryAnnotation {
  readonly refine = describeGraphQLFindings
  private current: Operation | undefined

  constructor(
    private readonly detector: Detector,
    /** The scope name until a resolver's `info.operation` names it. */
    private readonly fallbackName = 'subscription',
  ) {}

  /** The event operation a resolver belongs to; the root field starts a new event. */
  forField(info: GraphQLResolveInfo): Operation | undefined {
    if (info.path.prev === undefined || this.current === undefined) {
      this.endEvent()
      this.current = Operation.open(this.detector, info.operation, false, this.fallbackName)
    }
    return this.current
  }

  /** Closes the current event's scope (its findings are reported); later calls do nothing. */
  endEvent(): void {
    const op = this.current
    this.current = undefined
    op?.end()
  }
}
