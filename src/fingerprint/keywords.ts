// Keywords after which the next token is an operand (a value), not an operator. They decide
// whether `-5` is one literal, whether `?` is a placeholder or the jsonb operator, and they are
// never taken as the type name of a typed literal (`select 'a'` is not a literal of type "select").
const OPERAND_KEYWORDS: ReadonlySet<string> = new Set([
  'all', 'and', 'any', 'array', 'as', 'asymmetric', 'between', 'both', 'by', 'cache', 'case',
  'default', 'distinct', 'do', 'else', 'escape', 'except', 'exists', 'fetch', 'first', 'for',
  'from', 'having', 'ilike', 'in', 'increment', 'intersect', 'into', 'is', 'join', 'lateral',
  'leading', 'like', 'limit', 'materialized', 'maxvalue', 'minvalue', 'next', 'not', 'offset',
  'on', 'or', 'placing', 'recursive', 'restart', 'return', 'returning', 'row', 'rows', 'select',
  'set', 'similar', 'some', 'start', 'symmetric', 'then', 'to', 'trailing', 'union', 'using',
  'values', 'when', 'where', 'with',
])

/**
 * Whether a lower-case keyword puts the token after it in operand position.
 *
 * @example
 * isOperandKeyword('where') // true: `where -5 = a` starts with the literal -5
 * isOperandKeyword('pet')   // false: `pet - 5` is a subtraction
 */
export function isOperandKeyword(lower: string): boolean {
  return OPERAND_KEYWORDS.has(lower)
}
