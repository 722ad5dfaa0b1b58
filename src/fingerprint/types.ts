// Public data shapes of the fingerprint module. Other code depends on these names and fields.

/**
 * The shape of a SQL statement and its stable id.
 *
 * @example
 * fingerprint('select * from pet where owner_id = 42')
 * // { id: '3f0c…(16 hex)', shape: 'select * from pet where owner_id = ?' }
 */
export interface Fingerprint {
  /** 16 lowercase hex characters, the same in every process and Node version. */
  readonly id: string
  /** The statement with values replaced by `?` and value lists collapsed. */
  readonly shape: string
}

/** Statement class, from the first keyword (`WITH …` resolved to its main statement). */
export type StatementKind = 'select' | 'insert' | 'update' | 'delete' | 'merge' | 'transaction' | 'utility'

/**
 * A comparison of a column with a value (`col = $1`, `$1 < col`, `col in ($1, $2)`,
 * `col = any($1)`), from WHERE, ON, HAVING, WHEN and boolean connectives.
 *
 * @example
 * sqlInfo('select * from "pet" where "pet"."owner_id" = $1').filters
 * // [{ table: 'pet', column: 'owner_id', operator: '=', param: 1 }]
 */
export interface ColumnFilter {
  /**
   * Qualifier as written (an alias or a table, schema kept), without quotes; absent when the
   * column is unqualified.
   * @default undefined
   */
  readonly table?: string
  /** Unquoted column name. */
  readonly column: string
  /** Lower case: `=`, `<>`, `<`, `in`, `not in`, `any`, `all`, `like`, `between`, … */
  readonly operator: string
  /**
   * 1-based number of the `$n` parameter compared with (the first one of an IN list); absent
   * when the column is compared with a literal or a `?`.
   * @default undefined
   */
  readonly param?: number
}

/**
 * Everything n1guard learns from the text of one SQL statement.
 *
 * @example
 * const info = sqlInfo('select * from "pet" where "pet"."owner_id" = $1')
 * info.kind    // 'select'
 * info.tables  // ['pet']
 * info.shape   // 'select * from "pet" where "pet"."owner_id" = ?'
 */
export interface SqlInfo {
  /** 16 lowercase hex characters, stable across processes and versions of Node. */
  readonly id: string
  /** Normalised display text. */
  readonly shape: string
  /** Class of the first statement. */
  readonly kind: StatementKind
  /**
   * Relations read or written, in order of appearance, deduplicated, unquoted, schema kept
   * (`public.pet`); the statement's target table first for insert / update / delete / merge.
   */
  readonly tables: readonly string[]
  /** Column-versus-value comparisons, in order of appearance. */
  readonly filters: readonly ColumnFilter[]
  /** 32-bit hash of the inlined literal values that became placeholders, in order; 0 when none. */
  readonly literalKey: number
  /** Frozen `{ id, shape }`, the same object on every cache hit. */
  readonly fingerprint: Fingerprint
  /**
   * An ORM's or driver's own statement (session setup, version probe, catalog read): never a
   * finding, left out of query counts (see `isHousekeeping`).
   */
  readonly housekeeping: boolean
}
