// The `advisor` option of createDetector, validated on its own so options.ts only delegates.

/**
 * A node-postgres `Pool` (or anything with its `Client` constructor and `options`): the advisor
 * opens a client of its own from them, so its catalog reads and EXPLAINs never wait for or hold
 * one of the pool's connections and never run inside the application's transaction.
 *
 * @example
 * createDetector({ advisor: { database: pool } })
 */
export interface AdvisorDatabase {
  // Typed as what @types/pg declares of a Pool; at run time n1guard also needs the `Client`
  // constructor every node-postgres Pool carries (checked when given).
  readonly connect: (...args: any[]) => unknown
  readonly options?: unknown
}

/**
 * What the query advisor checks (see docs/advisor.md). Each rule has its switch and threshold;
 * `catalog` and `explain` decide whether it may run statements of its own at all.
 *
 * @example
 * createDetector({ advisor: { deepOffset: 5000, unboundedSelect: false, explain: false } })
 */
export interface AdvisorOptions {
  /**
   * `missing-index`: a shape run at least this many times in a scope (`true`: the detector's
   * `threshold`) that filters on a column no index leads with. Needs `catalog`.
   * @default true
   */
  readonly missingIndex?: boolean | number
  /**
   * `deep-offset`: a statement whose OFFSET (a literal or a bound parameter, read but never
   * printed) is at least this. `true` means 1000.
   * @default 1000
   */
  readonly deepOffset?: boolean | number
  /**
   * `unbounded-select`: a SELECT without LIMIT / FETCH that returned more rows than this. `true`
   * means 1000.
   * @default 1000
   */
  readonly unboundedSelect?: boolean | number
  /**
   * Read `pg_index` / `pg_attribute` (on a connection of the advisor's own) to decide
   * `missing-index`. Default: on where `NODE_ENV` is `development` or `test`, and always inside
   * `capture()` and the test helpers; off otherwise (nothing runs in production unless asked).
   * @default NODE_ENV is 'development' or 'test'
   */
  readonly catalog?: boolean
  /**
   * Confirm a missing index with `EXPLAIN` (never ANALYZE, SELECT only) showing a sequential scan
   * before reporting it. Same default as `catalog`; only runs when `catalog` does.
   * @default NODE_ENV is 'development' or 'test'
   */
  readonly explain?: boolean
  /**
   * Where catalog reads and EXPLAIN run. Default: the first pool handed to `instrumentPool` or
   * `detector.checkSchema`. A Kysely-only app passes its pool here.
   * @default undefined
   */
  readonly database?: AdvisorDatabase
}

/** The advisor's options after validation; `'auto'`: decided by NODE_ENV and the scope. */
export interface ResolvedAdvisorOptions {
  readonly missingIndex: number | false
  readonly deepOffset: number | false
  readonly unboundedSelect: number | false
  readonly catalog: boolean | 'auto'
  readonly explain: boolean | 'auto'
  readonly database: AdvisorDatabase | undefined
}

const KNOWN = ['missingIndex', 'deepOffset', 'unboundedSelect', 'catalog', 'explain', 'database']

function limit(name: string, value: unknown, fallback: number, min: number, describe: (v: unknown) => string): number | false {
  if (value === undefined || value === true) return fallback
  if (value === false) return false
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new TypeError(`n1guard: option \`advisor.${name}\` must be a boolean or an integer >= ${min}, got ${describe(value)}`)
  }
  return value
}

/**
 * Validates `options.advisor`; undefined when every rule is off (the detector then does no
 * advisor work per query).
 */
export function resolveAdvisorOptions(
  value: unknown,
  threshold: number,
  describe: (v: unknown) => string,
): ResolvedAdvisorOptions | undefined {
  if (value === false) return undefined
  if (value === undefined || value === true) value = {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`n1guard: option \`advisor\` must be a boolean or an object, got ${describe(value)}`)
  }
  const o = value as Record<string, unknown>
  for (const key of Object.keys(o)) {
    if (!KNOWN.includes(key)) throw new TypeError(`n1guard: unknown advisor option ${JSON.stringify(key)} (known: ${KNOWN.join(', ')})`)
  }
  const flag = (name: string): boolean | 'auto' => {
    const v = o[name]
    if (v === undefined) return 'auto'
    if (typeof v !== 'boolean') throw new TypeError(`n1guard: option \`advisor.${name}\` must be a boolean, got ${describe(v)}`)
    return v
  }
  const db = o.database
  if (db !== undefined && (typeof db !== 'object' || db === null || typeof (db as { Client?: unknown }).Client !== 'function')) {
    throw new TypeError(`n1guard: option \`advisor.database\` must be a pg Pool (with its Client constructor), got ${describe(db)}`)
  }
  const resolved: ResolvedAdvisorOptions = {
    missingIndex: limit('missingIndex', o.missingIndex, threshold, 2, describe),
    deepOffset: limit('deepOffset', o.deepOffset, 1000, 1, describe),
    unboundedSelect: limit('unboundedSelect', o.unboundedSelect, 1000, 1, describe),
    catalog: flag('catalog'),
    explain: flag('explain'),
    database: db as AdvisorDatabase | undefined,
  }
  if (resolved.missingIndex === false && resolved.deepOffset === false && resolved.unboundedSelect === false) return undefined
  return resolved
}

/**
 * A foreign key no index leads with (`detector.checkSchema`): deleting or updating a referenced
 * row, and every loop that looks rows up by it, scans the whole table.
 *
 * @example
 * { table: 'pet', columns: ['owner_id'], references: 'person', constraint: 'pet_owner_id_fkey',
 *   createIndex: 'create index concurrently pet_owner_id_idx on pet (owner_id);' }
 */
export interface UnindexedForeignKey {
  readonly table: string
  readonly columns: readonly string[]
  /** The referenced table. */
  readonly references: string
  readonly constraint: string
  readonly createIndex: string
}
