// PostgreSQL folds unquoted identifiers to lower case in ASCII only (UTF-8 databases leave
// non-ASCII letters alone), so String#toLowerCase is only right for pure ASCII text.

/**
 * Lower-cases the ASCII letters of an unquoted identifier, as PostgreSQL does.
 * Returns the same string when there is nothing to fold.
 *
 * @example
 * lowerIdent('SELECT') // 'select'
 * lowerIdent('Ärger')  // 'Ärger'
 */
export function lowerIdent(text: string): string {
  let upper = false
  let ascii = true
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 65 && c <= 90) upper = true
    else if (c >= 128) ascii = false
  }
  if (!upper) return text
  if (ascii) return text.toLowerCase()
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : text[i]
  }
  return out
}
