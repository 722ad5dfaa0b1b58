// TypeORM (type 'postgres') in the ORM matrix: see test/support/orm-matrix.ts. Entities are
// EntitySchemas over plain classes (no decorators needed), with a lazy one-to-many relation.
import 'reflect-metadata'
import { DataSource, EntitySchema, In } from 'typeorm'
import { expect } from 'vitest'
import { instrumentTypeORM } from '../../src/orm/typeorm.js'
import type { OrmDatabase } from '../support/orm-db.js'
import { byAuthor, ormMatrix, type OrmCases } from '../support/orm-matrix.js'

class Author {
  id!: number
  name!: string
  books!: Promise<Book[]>
}
class Book {
  id!: number
  title!: string
  authorId!: number
  author!: Promise<Author>
}

const AuthorSchema = new EntitySchema<Author>({
  name: 'Author',
  target: Author,
  tableName: 'author',
  columns: { id: { type: Number, primary: true, generated: true }, name: { type: String } },
  relations: { books: { type: 'one-to-many', target: 'Book', inverseSide: 'author', lazy: true } },
})
const BookSchema = new EntitySchema<Book>({
  name: 'Book',
  target: Book,
  tableName: 'book',
  columns: { id: { type: Number, primary: true, generated: true }, title: { type: String }, authorId: { type: Number, name: 'author_id' } },
  relations: { author: { type: 'many-to-one', target: 'Author', inverseSide: 'books', joinColumn: { name: 'author_id' }, lazy: true } },
})

function dataSource(odb: OrmDatabase): DataSource {
  return new DataSource({ type: 'postgres', url: odb.url, schema: odb.schema, entities: [AuthorSchema, BookSchema], poolSize: 4 })
}

function cases(ds: DataSource): OrmCases {
  const authors = ds.getRepository(Author)
  const books = ds.getRepository(Book)
  return {
    async loop() {
      const list = await authors.find({ order: { id: 'ASC' } })
      const out = []
      for (const a of list) {
        const mine = await a.books // @site:loop
        out.push(...mine.map((b) => ({ author: a.id, title: b.title })))
      }
      return byAuthor(out)
    },
    async all() {
      const list = await authors.find()
      const lists = await Promise.all(list.map(async (a) => ({ a, books: await a.books }))) // @site:all
      return byAuthor(lists.flatMap(({ a, books: mine }) => mine.map((b) => ({ author: a.id, title: b.title }))))
    },
    async fix() {
      const list = await authors.find({ relations: { books: true } })
      const out = []
      for (const a of list) out.push(...(await a.books).map((b) => ({ author: a.id, title: b.title })))
      return byAuthor(out)
    },
    async lines() {
      const first = await authors.findOneBy({ id: 1 }) // @site:lines1
      const second = await authors.findOneBy({ id: 2 }) // @site:lines2
      const third = await authors.findOneBy({ id: 3 }) // @site:lines3
      return [first!.name, second!.name, third!.name]
    },
    async tx() {
      return ds.transaction(async (manager) => {
        const list = await manager.find(Author)
        const out = []
        for (const a of list) {
          const mine = await manager.findBy(Book, { authorId: a.id }) // @site:tx
          out.push(...mine.map((b) => ({ author: a.id, title: b.title })))
        }
        return byAuthor(out)
      })
    },
  }
}

let sources: DataSource[] = []

ormMatrix({
  name: 'typeorm',
  file: import.meta.url,
  hint: ['relations:', 'leftJoinAndSelect'],
  async setup(odb, detector) {
    const ds = instrumentTypeORM(dataSource(odb), detector)
    const bare = dataSource(odb)
    sources = [ds, bare]
    await Promise.all(sources.map((s) => s.initialize()))
    return { handle: ds, instrumented: cases(ds), bare: cases(bare), close: async () => void (await Promise.all(sources.map((s) => s.destroy()))) }
  },
  more: {
    async 'the source of a lazy-relation loop is named by its column, not by the select alias (Author_id)'(ds, detector) {
      const { findings } = await detector.capture(async () => {
        const list = await ds.getRepository(Author).find()
        for (const a of list) await ds.getRepository(Book).findBy({ authorId: In([a.id]) })
      })
      const f = findings.find((x) => x.kind === 'n-plus-one')!
      expect(f.hint).not.toContain('Author_id')
      expect(f.hint).toContain('author.id')
      expect(f.source).toMatchObject({ table: 'author', column: 'id' })
    },
  },
})
