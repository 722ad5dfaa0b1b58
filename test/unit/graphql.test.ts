// n1guard/graphql's pure parts: operation names, findings in GraphQL terms (fields, chains,
// hints), the query-annotation refine step's failure handling, and bad arguments failing fast.
import { parse, type OperationDefinitionNode } from 'graphql'
import { describe, expect, test, vi } from 'vitest'
import { currentAnnotation, refineAnnotated, runAnnotated, type QueryAnnotation } from '../../src/core/query-annotation.js'
import { resetInternalErrors } from '../../src/core/internal-error.js'
import { describeGraphQLFindings, type FieldAnnotationLike } from '../../src/graphql/describe-findings.js'
import { apolloN1guard, mercuriusN1guard, operationName, useN1guard, wrapExecute, wrapSubscribe } from '../../src/graphql/index.js'
import { createDetector, explainResolver, formatFinding, NPlusOneError, type Finding } from '../../src/index.js'

function op(source: string): OperationDefinitionNode {
  return parse(source).definitions[0] as OperationDefinitionNode
}

describe('operationName', () => {
  test('type and name; anonymous operations by their root fields', () => {
    expect(operationName(op('query AuthorsWithBooks { authors { books { title } } }'))).toBe('query AuthorsWithBooks')
    expect(operationName(op('{ authors { name } book(id: 1) { title } }'))).toBe('query { authors, book }')
    expect(operationName(op('mutation { addBook(title: "x") { id } }'))).toBe('mutation { addBook }')
    expect(operationName(op('subscription OnReview { reviewAdded { id } }'))).toBe('subscription OnReview')
    expect(operationName(op('{ a b c d e f }'))).toBe('query { a, b, c, d, … }')
    expect(operationName(op('{ ...Root }'))).toBe('query { ...Root }')
  })
})

const operation = { name: 'query AuthorsWithBooks' }
function annotation(field: string, path: string, parents: number): QueryAnnotation & FieldAnnotationLike {
  return { field, path, parentType: field.split('.')[0]!, parents, operation, refine: describeGraphQLFindings }
}

function finding(over: Partial<Finding>): Finding {
  return {
    kind: 'n-plus-one',
    id: 'x',
    fingerprint: 'f',
    sql: 'select * from "book" where "author_id" = ?',
    count: 20,
    distinctParams: 20,
    parallel: true,
    totalDurationMs: 10,
    scope: { id: 's', name: 'query AuthorsWithBooks' },
    table: 'book',
    hint: "load every book row in one query: .where('author_id', 'in', ids) and group by author_id in memory",
    severity: 'high',
    proven: true,
    source: { sql: 'select * from "author"', fingerprint: 'a', queries: 1, rowCount: 20, column: 'id', param: 1, table: 'author' },
    ...over,
  }
}

describe('describeGraphQLFindings', () => {
  test('names the field, its parents and the operation, and writes the fix as a per-request DataLoader', () => {
    const books = annotation('Author.books', 'Query.authors.books', 20)
    const [f] = describeGraphQLFindings([finding({})], [books])
    expect(f!.resolver).toEqual({
      field: 'Author.books',
      path: 'Query.authors.books',
      parentType: 'Author',
      parents: 20,
      queries: 20,
      operation: 'query AuthorsWithBooks',
      multiplies: 'Author.books',
    })
    expect(f!.hint).toContain("new DataLoader(async (keys) => { const rows = await db.selectFrom('book').selectAll().where('author_id', 'in', keys).execute()")
    expect(f!.hint).toContain('created per request')
    expect(f!.hint).toContain('ctx.loaders.books.load(parent.id)')
    expect(explainResolver(f!)).toBe('`Author.books` ran 20 queries for 20 `Author` parents in `query AuthorsWithBooks`')
    expect(formatFinding(f!).join('\n')).toContain('graphql: `Author.books` ran 20 queries for 20 `Author` parents')
    expect(new NPlusOneError([f!]).message).toContain('`Author.books` ran 20 queries for 20 `Author` parents in `query AuthorsWithBooks`')
  })

  test('raw pg: the batch function in SQL', () => {
    const [f] = describeGraphQLFindings(
      [finding({ sql: 'select * from book where author_id = $1', hint: 'load every book row in one query: where author_id = any($1::int[])' })],
      [annotation('Author.books', 'Query.authors.books', 20)],
    )
    expect(f!.hint).toContain("pool.query('select * from book where author_id = any($1)', [keys])")
  })

  test('a nested loop is one finding on the field where it multiplies, with the chain', () => {
    const books = annotation('Author.books', 'Query.authors.books', 5)
    const reviews = annotation('Book.reviews', 'Query.authors.books.reviews', 15)
    const other = finding({ id: 'untagged', count: 3 })
    const out = describeGraphQLFindings(
      [finding({ count: 5, severity: 'medium', totalDurationMs: 2 }), finding({ count: 15, sql: 'select * from "review" where "book_id" = ?', totalDurationMs: 3 }), other],
      [books, reviews, undefined],
    )
    expect(out).toHaveLength(2)
    expect(out[1]).toBe(other)
    const chain = out[0]!
    expect(chain.resolver?.multiplies).toBe('Author.books')
    expect(chain.resolver?.chain).toEqual([
      { field: 'Author.books', path: 'Query.authors.books', parentType: 'Author', parents: 5, queries: 5 },
      { field: 'Book.reviews', path: 'Query.authors.books.reviews', parentType: 'Book', parents: 15, queries: 15 },
    ])
    expect(chain.severity).toBe('high')
    expect(chain.totalDurationMs).toBe(5)
    expect(explainResolver(chain)).toContain('below it `Book.reviews` ran 15 queries for 15 `Book` parents: 20 queries from one nested loop')
    expect(explainResolver(chain)).toContain('multiplies at `Author.books`')
  })

  test('loops of different operations are never chained', () => {
    const a = annotation('Author.books', 'Query.authors.books', 5)
    const b = { ...annotation('Book.reviews', 'Query.authors.books.reviews', 15), operation: { name: 'query Other' } }
    expect(describeGraphQLFindings([finding({}), finding({})], [a, b])).toHaveLength(2)
  })

  test('a duplicate under a resolver: the DataLoader cache', () => {
    const [f] = describeGraphQLFindings([finding({ kind: 'duplicate', distinctParams: 1 })], [annotation('Book.author', 'Query.books.author', 20)])
    expect(f!.resolver?.field).toBe('Book.author')
    expect(f!.hint).toContain('DataLoader created per request, whose cache')
  })
})

describe('query annotations', () => {
  test('an annotation holds for what runs inside, and only there', async () => {
    const t: QueryAnnotation = {}
    expect(currentAnnotation()).toBeUndefined()
    await runAnnotated(t, async () => {
      await Promise.resolve()
      expect(currentAnnotation()).toBe(t)
    })
    expect(currentAnnotation()).toBeUndefined()
  })

  test('a refine that throws leaves the findings as they were, and is said once', () => {
    resetInternalErrors()
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      const bad: QueryAnnotation = {
        refine: () => {
          throw new Error('refine broke')
        },
      }
      const findings = [finding({})]
      expect(refineAnnotated(findings, [bad])).toBe(findings)
      expect(String(write.mock.calls[0]?.[0])).toContain('refine threw')
    } finally {
      write.mockRestore()
    }
  })
})

describe('bad arguments fail fast with a TypeError naming the value', () => {
  const detector = createDetector({ mode: 'silent' })
  test.each([
    ['useN1guard', () => useN1guard(undefined as never)],
    ['apolloN1guard', () => apolloN1guard({} as never)],
    ['mercuriusN1guard', () => mercuriusN1guard({} as never, detector)],
    ['mercuriusN1guard', () => mercuriusN1guard({ graphql: { addHook: () => undefined } }, 42 as never)],
    ['wrapExecute', () => wrapExecute(detector, 'execute' as never)],
    ['wrapSubscribe', () => wrapSubscribe(null as never, () => undefined)],
  ])('%s', (name, call) => {
    expect(call).toThrow(TypeError)
    expect(call).toThrow(name)
  })
})
