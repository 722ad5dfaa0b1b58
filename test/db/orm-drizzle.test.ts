import { drizzle } from 'drizzle-orm/node-postgres'
import { eq, inArray, relations } from 'drizzle-orm'
import { integer, pgTable, serial, text } from 'drizzle-orm/pg-core'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createDetector } from '../../src/index.js'
import { instrumentDrizzle } from '../../src/orm/drizzle.js'
import { createOrmDatabase, type OrmDatabase } from '../support/orm-db.js'

const author = pgTable('author', { id: serial('id').primaryKey(), name: text('name').notNull() })
const book = pgTable('book', { id: serial('id').primaryKey(), authorId: integer('author_id').notNull(), title: text('title').notNull() })
const authorRelations = relations(author, ({ many }) => ({ books: many(book) }))
const bookRelations = relations(book, ({ one }) => ({ author: one(author, { fields: [book.authorId], references: [author.id] }) }))
const schema = { author, book, authorRelations, bookRelations }

let odb: OrmDatabase
const detector = createDetector({ mode: 'silent' })
let db: ReturnType<typeof drizzle<typeof schema>>

beforeAll(async () => {
  odb = await createOrmDatabase('drizzle')
  db = instrumentDrizzle(drizzle({ client: odb.pool(), schema }), detector)
})
afterAll(() => odb.drop())

test('scratch', async () => {
  const r = await detector.capture(async () => {
    const authors = await db.select().from(author)
    for (const a of authors) await db.select().from(book).where(eq(book.authorId, a.id))
    await Promise.all(authors.map((a) => db.select().from(book).where(eq(book.authorId, a.id))))
    await db.query.author.findMany({ with: { books: true } })
    await db.select().from(book).where(eq(book.authorId, 1))
    await db.select().from(book).where(eq(book.authorId, 2))
    await db.select().from(book).where(eq(book.authorId, 3))
    await db.transaction(async (tx) => {
      for (const a of authors) await tx.select().from(book).where(eq(book.authorId, a.id))
    })
    await db.select().from(book).where(inArray(book.authorId, authors.map((a) => a.id)))
  })
  console.log(JSON.stringify(r.findings.map((f) => [f.kind, f.count, f.callSite, f.hint, f.parallel]), null, 1))
  console.log(r.queries.map((q) => `${q.sql.slice(0, 60)} ${q.callSite?.line}`).join('\n'))
  expect(r.findings.length).toBeGreaterThan(0)
})
