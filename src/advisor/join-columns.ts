import { tokenize, Tok, type Tokens } from '../fingerprint/tokenizer.js'

/** A column-to-column equality of a statement (`on p.id = t.pet_id`), qualifiers resolved to tables. */
export interface JoinPair {
  readonly left: { readonly table: string; readonly column: string }
  readonly right: { readonly table: string; readonly column: string }
}

// Words that end a FROM item, so they are never read as its alias.
const NOT_ALIAS = new Set([
  'on', 'using', 'where', 'join', 'inner', 'left', 'right', 'full', 'cross', 'natural', 'lateral', 'group', 'order',
  'limit', 'offset', 'fetch', 'for', 'union', 'except', 'intersect', 'having', 'window', 'returning', 'set', 'as',
])

function text(t: Tokens, i: number): string {
  const raw = t.sql.slice(t.starts[i]!, t.ends[i]!)
  return t.kinds[i] === Tok.QIdent ? raw.slice(1, -1).replace(/""/g, '"') : raw.toLowerCase()
}

const isName = (t: Tokens, i: number): boolean => t.kinds[i] === Tok.Ident || t.kinds[i] === Tok.QIdent

/**
 * The qualified column equalities of a statement (`a.x = b.y`), with aliases resolved to the tables
 * of its FROM and JOIN items; pairs whose qualifiers name no table of the statement are left out.
 *
 * @example
 * joinPairs('select * from toy t join pet p on p.id = t.pet_id where p.owner_id = $1')
 * // [{ left: { table: 'pet', column: 'id' }, right: { table: 'toy', column: 'pet_id' } }]
 */
export function joinPairs(sql: string): readonly JoinPair[] {
  return statementNames(sql).pairs
}

/** The FROM / JOIN items of a statement by alias (and by name), and its qualified column equalities. */
export interface StatementNames {
  /** Alias or table name (lower case unless quoted) -> the table as written, schema kept. */
  readonly aliases: ReadonlyMap<string, string>
  readonly pairs: readonly JoinPair[]
}

/**
 * Aliases and join equalities of a statement (see `joinPairs`).
 *
 * @example
 * statementNames('select * from toy t join pet p on p.id = t.pet_id').aliases.get('t') // 'toy'
 */
export function statementNames(sql: string): StatementNames {
  const t = tokenize(sql)
  const aliases = new Map<string, string>()
  for (let i = 0; i < t.count; i++) {
    if (t.kinds[i] !== Tok.Ident) continue
    const w = text(t, i)
    if (w !== 'from' && w !== 'join') continue
    let j = i + 1
    if (!isName(t, j)) continue
    let table = text(t, j)
    while (t.kinds[j + 1] === Tok.Dot && isName(t, j + 2)) {
      table = `${table}.${text(t, j + 2)}`
      j += 2
    }
    aliases.set(table, table)
    const bare = table.slice(table.lastIndexOf('.') + 1)
    aliases.set(bare, table)
    j++
    if (t.kinds[j] === Tok.Ident && text(t, j) === 'as') j++
    if (isName(t, j) && !(t.kinds[j] === Tok.Ident && NOT_ALIAS.has(text(t, j)))) aliases.set(text(t, j), table)
  }
  const pairs: JoinPair[] = []
  for (let i = 0; i + 6 < t.count; i++) {
    if (!(isName(t, i) && t.kinds[i + 1] === Tok.Dot && isName(t, i + 2) && t.kinds[i + 3] === Tok.Op)) continue
    if (t.sql.slice(t.starts[i + 3]!, t.ends[i + 3]!) !== '=') continue
    if (!(isName(t, i + 4) && t.kinds[i + 5] === Tok.Dot && isName(t, i + 6))) continue
    // `a.b.c = …` (schema-qualified) is rare in generated SQL: skip rather than misread it.
    if (t.kinds[i - 1] === Tok.Dot || t.kinds[i + 7] === Tok.Dot) continue
    const lt = aliases.get(text(t, i))
    const rt = aliases.get(text(t, i + 4))
    if (lt === undefined || rt === undefined || lt === rt) continue
    pairs.push({ left: { table: lt, column: text(t, i + 2) }, right: { table: rt, column: text(t, i + 6) } })
  }
  return { aliases, pairs }
}
