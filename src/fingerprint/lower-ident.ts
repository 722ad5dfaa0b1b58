// PostgreSQL folds unquoted identifiers to lower case in ASCII only (UTF-8 databases leave
// non-ASCII letters alone), so String#toLowerCase is only right for pure ASCII text.

import { CH, foldAscii, isAsciiUpper } from './char-codes.js'

// Character codes and token kinds as module constants: V8 folds these into the compiled code,
// while each read of an imported binding or of an imported object's property is a load and a check.
const { NON_ASCII } = CH

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
    if (isAsciiUpper(c)) upper = true
    else if (c >= NON_ASCII) ascii = false
  }
  if (!upper) return text
  if (ascii) return text.toLowerCase()
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    out += isAsciiUpper(c) ? String.fromCharCode(foldAscii(c)) : text[i]
  }
  return out
}
