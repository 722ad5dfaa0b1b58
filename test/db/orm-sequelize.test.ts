// Sequelize 6 (dialect 'postgres') in the ORM matrix: see test/support/orm-matrix.ts.
import pg from 'pg'
import { DataTypes, Model, Sequelize, type HasManyGetAssociationsMixin } from 'sequelize'
import { expect } from 'vitest'
import { instrumentClient } from '../../src/pg/index.js'
import { instrumentSequelize } from '../../src/orm/sequelize.js'
import type { OrmDatabase } from '../support/orm-db.js'
import { honoursOptions, setPath } from '../support/schema-path.js'
import { byAuthor, ormMatrix, type OrmCases } from '../support/orm-matrix.js'

interface Models {
  readonly sequelize: Sequelize
  readonly Author: typeof Model & { new (): AuthorRow } & { findAll(options?: object): Promise<AuthorRow[]>; findByPk(id: number): Promise<AuthorRow | null> }
  readonly Book: typeof Model & { findAll(options?: object): Promise<BookRow[]> }
}
interface AuthorRow extends Model {
  id: number
  name: string
  books?: BookRow[]
  getBooks: HasManyGetAssociationsMixin<BookRow>
}
interface BookRow extends Model {
  id: number
  title: string
  authorId: number
}

function models(odb: OrmDatabase, config: object = {}): Models {
  // pg < 8.3 ignores `options` (see schema-path.ts): there the path is set as each connection opens.
  const hooks = honoursOptions ? {} : { hooks: { afterConnect: (connection: unknown) => setPath(connection as pg.Client, odb.schema) } }
  const sequelize = new Sequelize(odb.url, { dialect: 'postgres', logging: false, pool: { max: 4 }, dialectOptions: { options: odb.options }, ...hooks, ...config })
  const Author = sequelize.define('Author', { name: DataTypes.TEXT }, { tableName: 'author', timestamps: false })
  const Book = sequelize.define('Book', { title: DataTypes.TEXT, authorId: { type: DataTypes.INTEGER, field: 'author_id' } }, { tableName: 'book', timestamps: false })
  Author.hasMany(Book, { as: 'books', foreignKey: 'authorId' })
  return { sequelize, Author, Book } as unknown as Models
}

function cases({ sequelize, Author, Book }: Models): OrmCases {
  return {
    async loop() {
      const authors = await Author.findAll({ order: [['id', 'ASC']] })
      const out = []
      for (const a of authors) {
        const books = await a.getBooks() // @site:loop
        out.push(...books.map((b) => ({ author: a.id, title: b.title })))
      }
      return byAuthor(out)
    },
    async all() {
      const authors = await Author.findAll()
      const lists = await Promise.all(authors.map((a) => Book.findAll({ where: { authorId: a.id } }))) // @site:all
      return byAuthor(lists.flat().map((b) => ({ author: b.authorId, title: b.title })))
    },
    async fix() {
      const authors = await Author.findAll({ include: [{ model: Book, as: 'books' }] })
      return byAuthor(authors.flatMap((a) => (a.books ?? []).map((b) => ({ author: a.id, title: b.title }))))
    },
    async lines() {
      const first = await Author.findByPk(1) // @site:lines1
      const second = await Author.findByPk(2) // @site:lines2
      const third = await Author.findByPk(3) // @site:lines3
      return [first!.name, second!.name, third!.name]
    },
    async tx() {
      return sequelize.transaction(async (transaction) => {
        const authors = await Author.findAll({ transaction })
        const out = []
        for (const a of authors) {
          const books = await Book.findAll({ where: { authorId: a.id }, transaction }) // @site:tx
          out.push(...books.map((b) => ({ author: a.id, title: b.title })))
        }
        return byAuthor(out)
      })
    },
  }
}

let all: Sequelize[] = []

ormMatrix({
  name: 'sequelize',
  file: import.meta.url,
  ownPool: true,
  hint: ['include:'],
  async setup(odb, detector) {
    const instrumented = models(odb)
    instrumentSequelize(instrumented.sequelize, detector)
    const bare = models(odb)
    all = [instrumented.sequelize, bare.sequelize]
    return { handle: { odb }, instrumented: cases(instrumented), bare: cases(bare), close: async () => void (await Promise.all(all.map((s) => s.close()))) }
  },
  more: {
    // Instrumented below the pool (every pg Client it creates, through Sequelize's dialectModule),
    // n1guard sees Sequelize's per-connection setup too: marked housekeeping, never a finding.
    async "Sequelize's per-connection SET statements and pg_type scan are housekeeping"({ odb }, detector) {
      class Client extends pg.Client {
        constructor(config?: pg.ClientConfig) {
          super(config)
          instrumentClient(this, detector)
        }
      }
      const { sequelize, Author } = models(odb, { dialectModule: { ...pg, Client } })
      try {
        const { queries, findings } = await detector.capture(() => Promise.all([1, 2, 3].map((id) => Author.findByPk(id))))
        const setup = queries.filter((q) => q.housekeeping === true)
        expect(setup.some((q) => q.sql.includes('SET client_min_messages'))).toBe(true)
        expect(findings.filter((f) => f.kind === 'duplicate')).toEqual([])
        expect(queries.filter((q) => q.housekeeping !== true).map((q) => q.sql.slice(0, 6))).toEqual(['SELECT', 'SELECT', 'SELECT'])
      } finally {
        await sequelize.close()
      }
    },
  },
})
