// Findings in GraphQL terms: the field and its parents, the operation, nested loops as one chain,
// and the fix a GraphQL developer reaches for (a per-request DataLoader keyed by the parent's id).
import type { QueryAnnotation } from '../core/query-annotation.js'
import type { Finding, FindingResolver, FindingResolverLink, Severity } from '../core/types.js'

/** What a resolver path's annotation holds (see `FieldAnnotation`). */
export interface FieldAnnotationLike {
  readonly field: string
  readonly path: string
  readonly parentType: string
  readonly parents: number
  readonly operation: { readonly name: string | undefined }
}

function isFieldAnnotation(note: QueryAnnotation | undefined): note is QueryAnnotation & FieldAnnotationLike {
  return note !== undefined && typeof (note as Partial<FieldAnnotationLike>).path === 'string' && typeof (note as Partial<FieldAnnotationLike>).parents === 'number'
}

const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2 }

// The column a loop filters on, from its shape: `... where "owner_id" = ?` or `in (?)`.
function loopColumn(sql: string): string | undefined {
  const m = /\bwhere\s+(?:"?\w+"?\.)?"?(\w+)"?\s*(?:=|in\b|=\s*any)\s*\(?\s*(?:\?|\$\d)/i.exec(sql)
  return m?.[1]
}

function fieldName(field: string): string {
  const dot = field.indexOf('.')
  return dot < 0 ? field : field.slice(dot + 1)
}

/**
 * The fix for a resolver that queries once per parent: a DataLoader created per request, keyed by
 * the parent's id, whose batch function loads every parent's rows in one query (Kysely or SQL,
 * after the layer that issued it).
 *
 * @example
 * dataLoaderHint(finding, 'Author.books', 'Author')
 */
export function dataLoaderHint(f: Finding, field: string, parentType: string): string {
  const table = f.table ?? 'the table'
  const column = loopColumn(f.sql) ?? 'parent_id'
  const key = f.source?.column ?? 'id'
  const name = fieldName(field)
  // The layer that issued the loop: analyze writes Kysely builder calls for Kysely, SQL for pg.
  const kysely = f.hint.includes(".where('") || f.hint.includes('jsonArrayFrom') || f.hint.includes('jsonObjectFrom')
  const load = kysely
    ? `const rows = await db.selectFrom('${table}').selectAll().where('${column}', 'in', keys).execute()`
    : `const { rows } = await pool.query('select * from ${table} where ${column} = any($1)', [keys])`
  return (
    `batch ${field} with a DataLoader created per request (in the GraphQL context, never global) and keyed by the ${parentType}'s ${key}: ` +
    `new DataLoader(async (keys) => { ${load}; return keys.map((k) => rows.filter((r) => r.${column} === k)) }) ` +
    `(rows.find for a single object), and in the resolver ${name}: (parent, _, ctx) => ctx.loaders.${name}.load(parent.${key}); ` +
    `one query per batch instead of one per ${parentType}`
  )
}

function link(note: FieldAnnotationLike, queries: number): FindingResolverLink {
  return { field: note.field, path: note.path, parentType: note.parentType, parents: note.parents, queries }
}

/**
 * The `refine` of n1guard/graphql's query annotations: adds `resolver` (field, path, parents, operation)
 * to findings whose queries ran under a resolver, writes their fix as a DataLoader, and folds a
 * nested loop (`Query.authors.books.reviews` under `Query.authors.books`) into one finding on the
 * field where it starts multiplying. Findings without a resolver annotation pass through.
 *
 * @example
 * describeGraphQLFindings(findings, annotations)
 */
export function describeGraphQLFindings(findings: readonly Finding[], annotations: readonly (QueryAnnotation | undefined)[]): readonly Finding[] {
  const links = findings.map((f, i) => {
    const t = annotations[i]
    return isFieldAnnotation(t) ? t : undefined
  })
  // The outermost looping field above each loop of the same operation, if any.
  const rootOf = findings.map((f, i) => {
    const t = links[i]
    if (t === undefined || f.kind !== 'n-plus-one') return -1
    let root = -1
    findings.forEach((g, j) => {
      const u = links[j]
      if (j === i || u === undefined || g.kind !== 'n-plus-one' || u.operation !== t.operation) return
      if (t.path.startsWith(`${u.path}.`) && (root < 0 || u.path.length < links[root]!.path.length)) root = j
    })
    return root
  })
  const out: Finding[] = []
  findings.forEach((f, i) => {
    const t = links[i]
    if (t === undefined) {
      out.push(f)
      return
    }
    if (rootOf[i]! >= 0) return
    const below = findings
      .map((g, j) => ({ g, j }))
      .filter(({ j }) => rootOf[j] === i)
      .sort((a, b) => links[a.j]!.path.length - links[b.j]!.path.length)
    const self = link(t, f.count)
    const resolver: FindingResolver = {
      ...self,
      operation: t.operation.name ?? f.scope.name ?? 'graphql',
      multiplies: t.field,
      ...(below.length === 0 ? {} : { chain: [self, ...below.map(({ g, j }) => link(links[j]!, g.count))] }),
    }
    let severity = f.severity
    for (const { g } of below) if (RANK[g.severity] > RANK[severity]) severity = g.severity
    const hint =
      f.kind === 'n-plus-one'
        ? dataLoaderHint(f, t.field, t.parentType) +
          (below.length === 0 ? '' : `; then the same for ${below.map(({ j }) => links[j]!.field).join(', ')}`)
        : f.kind === 'duplicate'
          ? `${t.field} asks for the same row for several parents: load it through a DataLoader created per request, whose cache returns it once`
          : f.hint
    out.push({ ...f, resolver, hint, severity, totalDurationMs: below.reduce((sum, { g }) => sum + g.totalDurationMs, f.totalDurationMs) })
  })
  return out
}
