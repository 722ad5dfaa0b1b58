// Text from the outside world (a scope name from a decoded URL, an identifier in the SQL, a file
// or function name) reaches terminals and log files through n1guard's reports. Terminals act on
// control characters: a newline starts a forged line, ESC sequences clear the screen or recolour,
// bidi overrides reorder what the reader sees. Escape them all where n1guard prints.

// C0 (tab and newline included: every printed value is one line), DEL, C1, the Arabic letter mark,
// LRM / RLM, line and paragraph separators, bidi embeddings, overrides and isolates.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/
const CONTROL_ALL = new RegExp(CONTROL.source, 'g')
const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

function escapeOne(c: string): string {
  const named = NAMED[c]
  if (named !== undefined) return named
  const code = c.charCodeAt(0)
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
}

/**
 * `text` with every control character a terminal would act on written as an escape (`\n`, `\x1b`,
 * `\u202e`); ordinary text, non-Latin scripts included, unchanged (and not copied).
 *
 * @example
 * printable('GET /a\n\u001b[2J') // 'GET /a\\n\\x1b[2J'
 */
export function printable(text: string): string {
  return CONTROL.test(text) ? text.replace(CONTROL_ALL, escapeOne) : text
}

// What JSON.stringify leaves raw although a terminal acts on it (it escapes C0 itself).
const JSON_RAW = /[\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g

/**
 * `JSON.stringify(value)` with DEL, C1 and bidi controls written as `\uXXXX` too: the same JSON
 * once parsed, safe to print on a terminal.
 *
 * @example
 * printableJson({ scope: 'GET /a\u202e' }) // '{"scope":"GET /a\\u202e"}'
 */
export function printableJson(value: unknown): string {
  return JSON.stringify(value).replace(JSON_RAW, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
