// Kysely in the ORM matrix, for comparison: see test/support/orm-matrix.ts.
// execute() is called from the application's own line, so no call site needs carrying.
import { Kysely, PostgresDialect } from 'kysely'
import { instrumentDialect } from '../../src/kysely/index.js'
import { byAuthor, ormMatrix, type OrmCases } from '../support/orm-matrix.js'

interface DB {
  author: { id: number; name: string }
  book: { id: number; author_id: number; title: string }
}

function kyselyCases(db: Kysely<DB>): OrmCases {
  return {
    async loop() {
      const authors = await db.selectFrom('author').selectAll().orderBy('id').execute()
      const out = []
      for (const a of authors) {
        const books = await db.selectFrom('book').selectAll().where('author_id', '=', a.id).execute() // @site:loop
        out.push(...books.map((b) => ({ author: a.id, title: b.title })))
      }
      return byAuthor(out)
    },
    async all() {
      const authors = await db.selectFrom('author').selectAll().execute()
      const lists = await Promise.all(authors.map((a) => db.selectFrom('book').selectAll().where('author_id', '=', a.id).execute())) // @site:all
      return byAuthor(lists.flat().map((b) => ({ author: b.author_id, title: b.title })))
    },
    async fix() {
      const authors = await db.selectFrom('author').selectAll().execute()
      const books = await db.selectFrom('book').selectAll().where('author_id', 'in', authors.map((a) => a.id)).execute()
      return byAuthor(books.map((b) => ({ author: b.author_id, title: b.title })))
    },
    async lines() {
      const first = await db.selectFrom('author').selectAll().where('id', '=', 1).executeTakeFirstOrThrow() // @site:lines1
      const second = await db.selectFrom('author').selectAll().where('id', '=', 2).executeTakeFirstOrThrow() // @site:lines2
      const third = await db.selectFrom('author').selectAll().where('id', '=', 3).executeTakeFirstOrThrow() // @site:lines3
      return [first.name, second.name, third.name]
    },
    async tx() {
      return db.transaction().execute(async (trx) => {
        const authors = await trx.selectFrom('author').selectAll().execute()
        const out = []
        for (const a of authors) {
          const books = await trx.selectFrom('book').selectAll().where('author_id', '=', a.id).execute() // @site:tx
          out.push(...books.map((b) => ({ author: a.id, title: b.title })))
        }
        return byAuthor(out)
      })
    },
  }
}

const kyselies: Kysely<DB>[] = []

ormMatrix({
  name: 'kysely',
  file: import.meta.url,
  hint: [".where('author_id', 'in', ids)"],
  async setup(odb, detector) {
    const db = new Kysely<DB>({ dialect: instrumentDialect(new PostgresDialect({ pool: odb.pool() }), detector) })
    const bare = new Kysely<DB>({ dialect: new PostgresDialect({ pool: odb.pool() }) })
    kyselies.push(db, bare)
    return { instrumented: kyselyCases(db), bare: kyselyCases(bare), close: async () => void (await Promise.all(kyselies.map((k) => k.destroy()))) }
  },
})
