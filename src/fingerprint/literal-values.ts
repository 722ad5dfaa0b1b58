// The values a statement inlines instead of binding them as parameters (Sequelize, MikroORM and
// hand-built SQL do), read back from the text so they can take part in proofs like parameters.

import { CH } from './char-codes.js'
import { tokenize, Tok } from './tokenizer.js'

const { SQUOTE } = CH
const { Number: T_NUMBER, String: T_STRING } = Tok

/** Past this many literals a statement is a bulk write or a long IN-list, not a loop's lookup. */
const MAX_LITERALS = 64

/**
 * The number and string literals of a statement, in order, as the text a database would compare
 * (`42` → `'42'`, `'O''Brien'` → `"O'Brien"`); other literal forms (E'…', $$…$$) as written.
 * Called only when a shape repeats, never on the hot path of a first execution.
 *
 * @example
 * literalValues("select * from book where author_id = 7 and title = 'It''s'") // ['7', "It's"]
 */
export function literalValues(sql: string): readonly string[] {
  if (typeof sql !== 'string') return []
  const t = tokenize(sql)
  const out: string[] = []
  for (let i = 0; i < t.count && out.length < MAX_LITERALS; i++) {
    const kind = t.kinds[i]
    if (kind !== T_NUMBER && kind !== T_STRING) continue
    const text = sql.slice(t.starts[i], t.ends[i])
    if (kind === T_STRING && text.length >= 2 && text.charCodeAt(0) === SQUOTE && text.charCodeAt(text.length - 1) === SQUOTE) {
      const inner = text.slice(1, -1)
      out.push(inner.includes("''") ? inner.replaceAll("''", "'") : inner)
    } else {
      out.push(text)
    }
  }
  return out
}
