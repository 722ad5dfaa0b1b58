/**
 * Where in the application a query was issued: the first stack frame outside `node_modules`,
 * outside n1guard and outside `node:` internals.
 *
 * @example
 * { file: 'src/routes/users.ts', line: 42, column: 18, function: 'loadPets' }
 */
export interface CallSite {
  /** Path relative to the working directory (absolute when outside it); the TypeScript file when source maps exist. */
  readonly file: string
  /** 1-based line number. */
  readonly line: number
  /** 1-based column number. */
  readonly column: number
  /** Name of the enclosing function, when it has one. */
  readonly function?: string
}
