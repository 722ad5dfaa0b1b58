// The fingerprint cases of libpg_query (see test/fixtures/pg_query/README.md): inputs with the same
// expectedHash are one shape to PostgreSQL's parser. We use them for equivalence classes only.
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { clearFingerprintCache, fingerprint, sqlInfo } from '../../src/fingerprint/index.js'

interface CorpusEntry {
  readonly input: string
  readonly expectedHash: string
}

const CORPUS_PATH = fileURLToPath(new URL('../fixtures/pg_query/pg_query-fingerprint.json', import.meta.url))

function loadCorpus(): readonly CorpusEntry[] {
  if (!existsSync(CORPUS_PATH)) {
    throw new Error(`pg_query fingerprint corpus not found at ${CORPUS_PATH} (see test/fixtures/pg_query/README.md)`)
  }
  const parsed: unknown = JSON.parse(readFileSync(CORPUS_PATH, 'utf8'))
  if (!Array.isArray(parsed) || parsed.length === 0) throw new Error(`${CORPUS_PATH} is not a non-empty JSON array`)
  return parsed as CorpusEntry[]
}

const corpus = loadCorpus()
const ids = corpus.map((e) => fingerprint(e.input).id)
const indexOf = (input: string): number => {
  const i = corpus.findIndex((e) => e.input === input)
  if (i < 0) throw new Error(`corpus has no input ${JSON.stringify(input)}`)
  return i
}

// Rule (b): same expectedHash, differing only by literal values, parameter numbers, IN / VALUES
// list length or casts on parameters. n1guard must give each group one id.
const EXPECTED_EQUAL: readonly (readonly string[])[] = [
  ['SELECT 1', 'SELECT 2', 'SELECT $1', 'SELECT INTERVAL (0) $2', 'SELECT INTERVAL (2) $2'],
  [
    'SELECT * FROM x WHERE y IN ($1)',
    'SELECT * FROM x WHERE y IN ($1, $2, $3)',
    'SELECT * FROM x WHERE y IN ( $1::uuid )',
    'SELECT * FROM x WHERE y IN ( $1::uuid, $2::uuid, $3::uuid )',
  ],
  ["SELECT * FROM t WHERE a && '[1,2]'", "SELECT * FROM t WHERE a && '[1,2]'::int4range"],
]

// Rule (c): merges pg_query makes that n1guard does not (documented in docs/fingerprint.md).
// Each pair is recorded with n1guard's actual behaviour: different ids.
const PG_QUERY_ONLY_MERGES: readonly (readonly [string, string, string])[] = [
  ['column order in INSERT', 'INSERT INTO test (a, b) VALUES ($1, $2)', 'INSERT INTO test (b, a) VALUES ($1, $2)'],
  ['= $1 vs = ANY ($1)', 'SELECT * FROM x WHERE y = $1', 'SELECT * FROM x WHERE y = ANY ($1)'],
  ['= $1 vs IN (...)', 'SELECT * FROM x WHERE y = $1', 'SELECT * FROM x WHERE y IN ($1)'],
  ['= $1 vs IN (...), cast', 'SELECT * FROM x WHERE y = $1', 'SELECT * FROM x WHERE y IN ( $1::uuid )'],
  ['= ANY ($1) vs IN (...)', 'SELECT * FROM x WHERE y = ANY ($1)', 'SELECT * FROM x WHERE y IN ($1, $2, $3)'],
  ['DEALLOCATE name vs ALL', 'DEALLOCATE a123', 'DEALLOCATE ALL'],
  ['FROM list order', 'SELECT * FROM x AS a, y AS b', 'SELECT * FROM y AS a, x AS b'],
  ['target list order with aliases', 'SELECT x AS a, y AS b FROM x', 'SELECT y AS a, x AS b FROM x'],
  ['target list order', 'SELECT x, y FROM z', 'SELECT y, x FROM z'],
  [
    'VALUES rows of different shapes (DEFAULT) vs one row',
    "INSERT INTO films (code, title, did) VALUES ('UA502', 'Bananas', 105), ('T_601', 'Yojimbo', DEFAULT)",
    'INSERT INTO films (code, title, did) VALUES ($1, $2, $3)',
  ],
  ['table alias', 'SELECT * FROM a', 'SELECT * FROM a AS b'],
  ['conjunct order', 'SELECT * FROM t WHERE t.a IN (1, 2) AND t.b = 3', 'SELECT * FROM t WHERE t.b = 3 AND t.a IN (1, 2)'],
  ['digits in table names', 'SELECT * FROM t_20210301_x', 'SELECT * FROM t_20210302_x'],
  ['UNLISTEN name vs *', 'UNLISTEN virtual', 'UNLISTEN *'],
]

describe('pg_query fingerprint corpus', () => {
  it('is the 78-case corpus', () => {
    expect(corpus.length).toBe(78)
  })

  it('(a) gives different ids to every pair with different expectedHash', () => {
    const collisions: string[] = []
    for (let i = 0; i < corpus.length; i++) {
      for (let j = i + 1; j < corpus.length; j++) {
        if (corpus[i]!.expectedHash !== corpus[j]!.expectedHash && ids[i] === ids[j]) {
          collisions.push(`${corpus[i]!.input.slice(0, 80)}  ==  ${corpus[j]!.input.slice(0, 80)}`)
        }
      }
    }
    expect(collisions).toEqual([])
  })

  it('(b) gives one id to each group that differs only by values, parameters, list lengths or casts', () => {
    expect(EXPECTED_EQUAL.length).toBeGreaterThan(0)
    for (const group of EXPECTED_EQUAL) {
      const members = group.map(indexOf)
      for (const m of members) expect(corpus[m]!.expectedHash, group[0]).toBe(corpus[members[0]!]!.expectedHash)
      for (const m of members) expect(ids[m], corpus[m]!.input).toBe(ids[members[0]!])
    }
  })

  it('(c) records the other pg_query merges, which n1guard keeps apart', () => {
    for (const [why, a, b] of PG_QUERY_ONLY_MERGES) {
      const i = indexOf(a)
      const j = indexOf(b)
      expect(corpus[i]!.expectedHash, why).toBe(corpus[j]!.expectedHash)
      expect(ids[i], why).not.toBe(ids[j])
    }
  })

  it('classifies every same-hash pair as (b) or (c)', () => {
    // A same-hash pair with one n1guard id must sit in one (b) group; a pair with two ids must
    // match a (c) pair id for id (the (c) list names one representative per pair of id classes).
    const groupOf = new Map<number, number>()
    EXPECTED_EQUAL.forEach((group, g) => group.forEach((input) => groupOf.set(indexOf(input), g)))
    const documented = new Set(PG_QUERY_ONLY_MERGES.map(([, a, b]) => [ids[indexOf(a)], ids[indexOf(b)]].sort().join(':')))
    const unclassified: string[] = []
    for (let i = 0; i < corpus.length; i++) {
      for (let j = i + 1; j < corpus.length; j++) {
        if (corpus[i]!.expectedHash !== corpus[j]!.expectedHash) continue
        const ok =
          ids[i] === ids[j]
            ? groupOf.has(i) && groupOf.get(i) === groupOf.get(j)
            : documented.has([ids[i], ids[j]].sort().join(':'))
        if (!ok) unclassified.push(`${corpus[i]!.input.slice(0, 60)}  /  ${corpus[j]!.input.slice(0, 60)}`)
      }
    }
    expect(unclassified).toEqual([])
  })

  it('shapes of the corpus fingerprint to themselves', () => {
    for (const [i, e] of corpus.entries()) {
      const fp = fingerprint(e.input)
      expect(fingerprint(fp.shape), e.input.slice(0, 80)).toEqual(fp)
      expect(ids[i]).toBe(fp.id)
    }
  })

  it('fingerprints the 1 MB INSERT with 137k parameters quickly, like its 2-row version', () => {
    const big = corpus.find((e) => e.input.length > 1_000_000)
    expect(big, 'the corpus holds a ~1 MB INSERT').toBeDefined()
    const sql = big!.input
    expect(sql.startsWith('INSERT INTO tbl VALUES (nextval($1),$2,')).toBe(true)
    const params = sql.match(/\$\d+/g)?.length ?? 0
    expect(params).toBeGreaterThan(137_000)

    // The statement cut after its second row: `..., $28)`.
    const secondRowEnd = sql.indexOf('),(', sql.indexOf('),(') + 1)
    const twoRows = sql.slice(0, secondRowEnd + 1)
    expect(twoRows.endsWith('$28)')).toBe(true)

    let best = Infinity
    for (let run = 0; run < 3; run++) {
      clearFingerprintCache()
      const start = process.hrtime.bigint()
      sqlInfo(sql)
      best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6)
    }
    // About 30 ms here; a generous bound that still catches quadratic behaviour.
    expect(best).toBeLessThan(2_000)

    const info = sqlInfo(sql)
    expect(info.shape).toBe('INSERT INTO tbl VALUES (nextval(?),?,?,?,?,?,?,?,?,?,?,?,?,?)')
    expect(fingerprint(twoRows)).toEqual(info.fingerprint)
    expect(info.kind).toBe('insert')
    expect(info.tables).toEqual(['tbl'])
    expect(info.literalKey).toBe(0)
  })
})
