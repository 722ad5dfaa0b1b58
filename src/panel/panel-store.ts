import type { PanelScope, PanelScopeSummary } from './view-model.js'
import { summaryOf } from './view-model.js'

/** What EXPLAIN needs for one shape: kept on the server, never sent to the page. */
export interface ExplainTarget {
  readonly text: string
  readonly values: readonly unknown[]
}

interface Entry {
  readonly view: PanelScope
  readonly summary: PanelScopeSummary
  readonly explain: ReadonlyMap<string, ExplainTarget> | undefined
}

/** The last `max` scopes, oldest dropped first. */
export class PanelStore {
  private readonly entries = new Map<string, Entry>()

  constructor(private readonly max: number) {}

  add(view: PanelScope, explain: ReadonlyMap<string, ExplainTarget> | undefined): PanelScopeSummary {
    const summary = summaryOf(view)
    this.entries.delete(view.id)
    this.entries.set(view.id, { view, summary, explain })
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as string)
    return summary
  }

  /** Summaries, newest first. */
  summaries(): PanelScopeSummary[] {
    return [...this.entries.values()].map((e) => e.summary).reverse()
  }

  /** Full scopes, newest first. */
  scopes(): PanelScope[] {
    return [...this.entries.values()].map((e) => e.view).reverse()
  }

  get(id: string): PanelScope | undefined {
    return this.entries.get(id)?.view
  }

  target(id: string, fingerprint: string): ExplainTarget | undefined {
    return this.entries.get(id)?.explain?.get(fingerprint)
  }

  get size(): number {
    return this.entries.size
  }
}
