// What an application can observe of a query, reduced to plain data so two runs (bare and
// instrumented) can be compared with toStrictEqual: results with their field metadata, and errors
// with their class, code, message and every own property a driver sets.

/** An error as the application sees it. */
export interface ErrorView {
  /** `error.constructor.name`: DatabaseError, NoResultError, Error, ... */
  readonly ctor: string
  readonly name: string
  readonly message: string
  /** Every own property but `stack` (pg: code, severity, detail, position, routine, ...). */
  readonly props: Record<string, unknown>
}

/** A settled call: its value, or its error as an `ErrorView`. */
export type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: ErrorView }

/** Reduces a thrown value to what the application can observe of it. */
export function errorView(error: unknown): ErrorView {
  if (error === null || typeof error !== 'object') {
    return { ctor: typeof error, name: typeof error, message: String(error), props: {} }
  }
  const e = error as { name?: unknown; message?: unknown; constructor?: { name?: string } }
  const props: Record<string, unknown> = {}
  for (const key of Object.getOwnPropertyNames(error).sort()) {
    if (key === 'stack') continue
    props[key] = propView((error as Record<string, unknown>)[key])
  }
  return { ctor: e.constructor?.name ?? '(none)', name: String(e.name), message: String(e.message), props }
}

// A property that holds a live object (pg-pool's `error.client`) is compared by its class only:
// its process id and secret key differ from one connection to the next.
function propView(value: unknown): unknown {
  if (value instanceof Error) return errorView(value)
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value
  const proto = Object.getPrototypeOf(value) as object | null
  return proto === Object.prototype || proto === null ? value : { instanceOf: (value as object).constructor.name }
}

/** Runs `fn` and returns its outcome; never rejects. */
export async function settle(fn: () => unknown): Promise<Outcome> {
  try {
    return { ok: true, value: await fn() }
  } catch (error) {
    return { ok: false, error: errorView(error) }
  }
}

interface FieldLike {
  name: string
  dataTypeID: number
  format: string
  tableID?: number
  columnID?: number
  dataTypeSize?: number
  dataTypeModifier?: number
}

interface ResultLike {
  command?: string | null
  rowCount?: number | null
  oid?: number | null
  rows?: unknown[]
  fields?: FieldLike[]
}

/** A node-postgres result (or the array a multi-statement text returns) as plain data. */
export function resultView(result: unknown): unknown {
  if (Array.isArray(result)) return result.map(resultView)
  if (result === null || typeof result !== 'object') return result
  const r = result as ResultLike
  return {
    ctor: (result as { constructor?: { name?: string } }).constructor?.name,
    keys: Object.keys(result).sort(),
    command: r.command,
    rowCount: r.rowCount,
    oid: r.oid,
    rows: r.rows,
    fields: r.fields?.map(fieldView),
  }
}

/** Field metadata as plain data. */
export function fieldView(f: FieldLike): unknown {
  return {
    name: f.name,
    dataTypeID: f.dataTypeID,
    format: f.format,
    tableID: f.tableID,
    columnID: f.columnID,
    dataTypeSize: f.dataTypeSize,
    dataTypeModifier: f.dataTypeModifier,
  }
}
