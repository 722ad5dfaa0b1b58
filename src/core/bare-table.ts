/**
 * A table name without its schema, as findings show it and ignore rules match it.
 *
 * @example
 * bareTable('public.pet') // 'pet'
 */
export function bareTable(name: string | undefined): string | undefined {
  if (name === undefined) return undefined
  const dot = name.lastIndexOf('.')
  return dot >= 0 ? name.slice(dot + 1) : name
}
