import type { AnalyzedQuery } from '../../src/analyze/index.js'

let clock = 0

/**
 * A plain record for the pure analyze tests: `select * from pet where owner_id = ?` from one call
 * site, 2 ms long, each new record 10 ms after the previous one unless timings are given.
 */
export function record(partial: Partial<AnalyzedQuery> & { paramKey: number }): AnalyzedQuery {
  const startedAt = partial.startedAt ?? (clock += 10)
  return {
    fingerprint: 'fp-pet',
    shape: 'select * from pet where owner_id = ?',
    kind: 'select',
    tables: ['pet'],
    filters: [{ column: 'owner_id', operator: '=', param: 1 }],
    siteKey: 'app.ts:10:5',
    adapter: 'kysely',
    endedAt: startedAt + 2,
    issuedAt: partial.issuedAt ?? startedAt,
    ...partial,
    startedAt,
  }
}
