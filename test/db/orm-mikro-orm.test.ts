// MikroORM 6 (@mikro-orm/postgresql, on Knex and node-postgres) in the ORM matrix: see
// test/support/orm-matrix.ts. MikroORM 7 needs Node >= 22.17; Node 20 runs MikroORM 6.
import { Collection, EntitySchema, MikroORM, type Ref } from '@mikro-orm/postgresql'
import { expect } from 'vitest'
import { instrumentMikroORM } from '../../src/orm/mikro-orm.js'
import type { OrmDatabase } from '../support/orm-db.js'
import { byAuthor, ormMatrix, type OrmCases } from '../support/orm-matrix.js'

class Author {
  id!: number
  name!: string
  books = new Collection<Book>(this)
}
class Book {
  id!: number
  title!: string
  author!: Ref<Author>
}

const AuthorSchema = new EntitySchema<Author>({
  class: Author,
  tableName: 'author',
  properties: {
    id: { type: 'number', primary: true },
    name: { type: 'string' },
    books: { kind: '1:m', entity: () => Book, mappedBy: 'author' },
  },
})
const BookSchema = new EntitySchema<Book>({
  class: Book,
  tableName: 'book',
  properties: {
    id: { type: 'number', primary: true },
    title: { type: 'string' },
    author: { kind: 'm:1', entity: () => Author, fieldName: 'author_id', ref: true },
  },
})

function init(odb: OrmDatabase): Promise<MikroORM> {
  return MikroORM.init({
    clientUrl: odb.url,
    schema: odb.schema,
    entities: [AuthorSchema, BookSchema],
    discovery: { warnWhenNoEntities: false },
    allowGlobalContext: true,
    pool: { min: 0, max: 4 },
  })
}

function cases(orm: MikroORM): OrmCases {
  return {
    async loop() {
      const em = orm.em.fork()
      const authors = await em.find(Author, {}, { orderBy: { id: 'asc' } })
      const out = []
      for (const a of authors) {
        const books = await a.books.load() // @site:loop
        out.push(...books.map((b) => ({ author: a.id, title: b.title })))
      }
      return byAuthor(out)
    },
    async all() {
      const em = orm.em.fork()
      const authors = await em.find(Author, {})
      const lists = await Promise.all(authors.map((a) => em.find(Book, { author: a.id }))) // @site:all
      return byAuthor(lists.flat().map((b) => ({ author: b.author.id, title: b.title })))
    },
    async fix() {
      const em = orm.em.fork()
      const authors = await em.find(Author, {}, { populate: ['books'] })
      return byAuthor(authors.flatMap((a) => a.books.getItems().map((b) => ({ author: a.id, title: b.title }))))
    },
    async lines() {
      const em = orm.em.fork()
      const first = await em.findOne(Author, 1) // @site:lines1
      const second = await em.findOne(Author, 2) // @site:lines2
      const third = await em.findOne(Author, 3) // @site:lines3
      return [first!.name, second!.name, third!.name]
    },
    async tx() {
      return orm.em.fork().transactional(async (em) => {
        const authors = await em.find(Author, {})
        const out = []
        for (const a of authors) {
          const books = await em.find(Book, { author: a.id }) // @site:tx
          out.push(...books.map((b) => ({ author: a.id, title: b.title })))
        }
        return byAuthor(out)
      })
    },
  }
}

let orms: MikroORM[] = []

ormMatrix({
  name: 'mikro-orm',
  file: import.meta.url,
  ownPool: true,
  hint: ['populate:', '$in'],
  async setup(odb, detector) {
    const orm = instrumentMikroORM(await init(odb), detector)
    const bare = await init(odb)
    orms = [orm, bare]
    return { handle: orm, instrumented: cases(orm), bare: cases(bare), close: async () => void (await Promise.all(orms.map((o) => o.close(true)))) }
  },
  more: {
    async "MikroORM's pg_database check inside a scope is housekeeping: listed, never counted"(orm, detector) {
      const { queries, findings } = await detector.capture(async () => {
        await orm.getSchemaGenerator().ensureDatabase({ forceCheck: true })
        await orm.getSchemaGenerator().ensureDatabase({ forceCheck: true })
      })
      expect(findings).toEqual([])
      const checks = queries.filter((q) => q.sql.includes('pg_database'))
      expect(checks).toHaveLength(2)
      expect(checks.every((q) => q.housekeeping === true)).toBe(true)
    },
  },
})
