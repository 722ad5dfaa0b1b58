// A reporter the examples await: `next()` resolves with the next scope report, in order, as soon
// as n1guard hands it over (a request's scope ends just after its response has been sent).
import type { Reporter, ScopeReport } from 'n1guard'

export class ReportQueue {
  private readonly ready: ScopeReport[] = []
  private readonly waiting: Array<(report: ScopeReport) => void> = []

  readonly reporter: Reporter = (report) => {
    const wake = this.waiting.shift()
    if (wake === undefined) this.ready.push(report)
    else wake(report)
  }

  next(): Promise<ScopeReport> {
    const report = this.ready.shift()
    if (report !== undefined) return Promise.resolve(report)
    return new Promise((resolve) => this.waiting.push(resolve))
  }
}
