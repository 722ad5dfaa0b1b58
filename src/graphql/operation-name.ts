import type { DocumentNode, OperationDefinitionNode } from 'graphql'

/** The parts of a graphql-js `OperationDefinitionNode` n1guard reads. */
export type OperationLike = Pick<OperationDefinitionNode, 'operation' | 'name' | 'selectionSet'>

const MAX_ROOT_FIELDS = 4

/**
 * The name n1guard gives an operation's scope: its type and name (`query AuthorsWithBooks`), or
 * for an anonymous one its type and root fields (`query { authors, book }`).
 *
 * @example
 * operationName(parse('{ authors { name } }').definitions[0]) // 'query { authors }'
 */
export function operationName(op: OperationLike): string {
  const name = op.name?.value
  if (name !== undefined && name !== '') return `${op.operation} ${name}`
  const fields: string[] = []
  for (const s of op.selectionSet.selections) {
    // Kind is an enum in graphql-js' types, and only types may be imported here.
    const kind = s.kind as string
    if (kind === 'Field' || kind === 'FragmentSpread') fields.push(`${kind === 'Field' ? '' : '...'}${(s as { name: { value: string } }).name.value}`)
    else fields.push('...')
  }
  const shown = fields.length > MAX_ROOT_FIELDS ? [...fields.slice(0, MAX_ROOT_FIELDS), '…'] : fields
  return `${op.operation} { ${shown.join(', ')} }`
}

/**
 * The operation of `document` that `operationName` selects (the only one when no name is given),
 * as graphql-js's `getOperationAST` picks it; undefined when there is none or the choice is ambiguous.
 *
 * @example
 * selectOperation(parse('query A { a } query B { b }'), 'B')?.name?.value // 'B'
 */
export function selectOperation(document: Pick<DocumentNode, 'definitions'> | undefined, name: string | null | undefined): OperationDefinitionNode | undefined {
  let found: OperationDefinitionNode | undefined
  for (const d of document?.definitions ?? []) {
    if ((d.kind as string) !== 'OperationDefinition') continue
    if (name === undefined || name === null) {
      if (found !== undefined) return undefined
      found = d as OperationDefinitionNode
    } else if ((d as OperationDefinitionNode).name?.value === name) {
      return d as OperationDefinitionNode
    }
  }
  return found
}
