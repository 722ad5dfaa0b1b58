// Drizzle (drizzle-orm/node-postgres) in the ORM matrix: see test/support/orm-matrix.ts.
import { eq, inArray, relations } from 'drizzle-orm'
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres'
import { integer, pgTable, serial, text } from 'drizzle-orm/pg-core'
import { instrumentDrizzle } from '../../src/orm/drizzle.js'
import { byAuthor, ormMatrix, type OrmCases } from '../support/orm-matrix.js'

const author = pgTable('author', { id: serial('id').primaryKey(), name: text('name').notNull() })
const book = pgTable('book', { id: serial('id').primaryKey(), authorId: integer('author_id').notNull(), title: text('title').notNull() })
const authorRelations = relations(author, ({ many }) => ({ books: many(book) }))
const bookRelations = relations(book, ({ one }) => ({ author: one(author, { fields: [book.authorId], references: [author.id] }) }))
const schema = { author, book, authorRelations, bookRelations }

function cases(db: NodePgDatabase<typeof schema>): OrmCases {
  return {
    async loop() {
      const authors = await db.select().from(author).orderBy(author.id)
      const out = []
      for (const a of authors) {
        const books = await db.select().from(book).where(eq(book.authorId, a.id)) // @site:loop
        out.push(...books.map((b) => ({ author: a.id, title: b.title })))
      }
      return byAuthor(out)
    },
    async all() {
      const authors = await db.select().from(author)
      const lists = await Promise.all(authors.map((a) => db.select().from(book).where(eq(book.authorId, a.id)))) // @site:all
      return byAuthor(lists.flat().map((b) => ({ author: b.authorId, title: b.title })))
    },
    async fix() {
      const authors = await db.query.author.findMany({ with: { books: true } })
      return byAuthor(authors.flatMap((a) => a.books.map((b) => ({ author: a.id, title: b.title }))))
    },
    async lines() {
      const [first] = await db.select().from(author).where(eq(author.id, 1)) // @site:lines1
      const [second] = await db.select().from(author).where(eq(author.id, 2)) // @site:lines2
      const [third] = await db.select().from(author).where(eq(author.id, 3)) // @site:lines3
      return [first!.name, second!.name, third!.name]
    },
    async tx() {
      return db.transaction(async (tx) => {
        const authors = await tx.select().from(author)
        const out = []
        for (const a of authors) {
          const books = await tx.select().from(book).where(eq(book.authorId, a.id)) // @site:tx
          out.push(...books.map((b) => ({ author: a.id, title: b.title })))
        }
        return byAuthor(out)
      })
    },
  }
}

ormMatrix({
  name: 'drizzle',
  file: import.meta.url,
  hint: ['inArray(', 'with'],
  async setup(odb, detector) {
    const db = instrumentDrizzle(drizzle({ client: odb.pool(), schema }), detector)
    const bare = drizzle({ client: odb.pool(), schema })
    // The batched form the hint suggests returns the same rows.
    await bare.select().from(book).where(inArray(book.authorId, [1, 2]))
    return { instrumented: cases(db), bare: cases(bare), close: async () => {} }
  },
})
