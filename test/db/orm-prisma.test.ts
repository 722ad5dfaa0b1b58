// Prisma 7 on @prisma/adapter-pg in the ORM matrix: see test/support/orm-matrix.ts. The client is
// generated offline into .generated/prisma by scripts/prisma-generate.mjs (Vitest's global setup).
import { PrismaPg } from '@prisma/adapter-pg'
import { expect, test } from 'vitest'
import { PrismaClient } from '../../.generated/prisma/client.js'
import { createDetector } from '../../src/index.js'
import { instrumentPrisma } from '../../src/orm/prisma.js'
import { byAuthor, ormMatrix, type OrmCases } from '../support/orm-matrix.js'
import { siteOf } from '../support/sites.js'

function cases(prisma: PrismaClient): OrmCases {
  return {
    async loop() {
      const authors = await prisma.author.findMany({ orderBy: { id: 'asc' } })
      const out = []
      for (const a of authors) {
        // Prisma's nearest thing to lazy loading: the fluent API, one query per author.
        const books = await prisma.author.findUnique({ where: { id: a.id } }).books() // @site:loop
        out.push(...(books ?? []).map((b) => ({ author: a.id, title: b.title })))
      }
      return byAuthor(out)
    },
    async all() {
      const authors = await prisma.author.findMany()
      const lists = await Promise.all(authors.map((a) => prisma.book.findMany({ where: { authorId: a.id } }))) // @site:all
      return byAuthor(lists.flat().map((b) => ({ author: b.authorId, title: b.title })))
    },
    async fix() {
      const authors = await prisma.author.findMany({ include: { books: true }, relationLoadStrategy: 'join' })
      return byAuthor(authors.flatMap((a) => a.books.map((b) => ({ author: a.id, title: b.title }))))
    },
    async lines() {
      const first = await prisma.author.findUnique({ where: { id: 1 } }) // @site:lines1
      const second = await prisma.author.findUnique({ where: { id: 2 } }) // @site:lines2
      const third = await prisma.author.findUnique({ where: { id: 3 } }) // @site:lines3
      return [first!.name, second!.name, third!.name]
    },
    async tx() {
      return prisma.$transaction(async (tx) => {
        const authors = await tx.author.findMany()
        const out = []
        for (const a of authors) {
          const books = await tx.book.findMany({ where: { authorId: a.id } }) // @site:tx
          out.push(...books.map((b) => ({ author: a.id, title: b.title })))
        }
        return byAuthor(out)
      })
    },
  }
}

let clients: PrismaClient[] = []

ormMatrix({
  name: 'prisma',
  file: import.meta.url,
  hint: ['include:', "relationLoadStrategy: 'join'"],
  async setup(odb, detector) {
    const prisma = instrumentPrisma(new PrismaClient({ adapter: new PrismaPg(odb.pool(), { schema: odb.schema }) }), detector)
    const bare = new PrismaClient({ adapter: new PrismaPg(odb.pool(), { schema: odb.schema }) })
    clients = [prisma, bare]
    return { handle: prisma, instrumented: cases(prisma), bare: cases(bare), close: async () => void (await Promise.all(clients.map((c) => c.$disconnect()))) }
  },
  more: {
    async 'a client extended with $extends keeps the carried lines'(prisma, detector) {
      const extended = prisma.$extends({ query: { $allModels: { $allOperations: ({ args, query }) => query(args) } } })
      const { findings, queries } = await detector.capture(async () => {
        await extended.author.findUnique({ where: { id: 1 } }) // @site:ext1
        await extended.author.findUnique({ where: { id: 2 } }) // @site:ext2
      })
      expect(findings).toEqual([])
      expect(queries.map((q) => q.callSite?.line)).toEqual([siteOf(import.meta.url, 'ext1').line, siteOf(import.meta.url, 'ext2').line])
    },
    async 'findUnique under Promise.all is batched by Prisma into one query: clean, at its line'(prisma, detector) {
      const { result, findings, queries } = await detector.capture(() =>
        Promise.all([1, 2, 3, 4].map((id) => prisma.author.findUnique({ where: { id } }))), // @site:batched
      )
      expect(result.map((a) => a?.id)).toEqual([1, 2, 3, 4])
      expect(findings).toEqual([])
      expect(queries).toHaveLength(1)
      expect(queries[0]!.callSite).toMatchObject(siteOf(import.meta.url, 'batched'))
    },
  },
})

test('instrumentPrisma fails fast on a client without a driver adapter', () => {
  expect(() => instrumentPrisma({ $transaction: () => undefined }, createDetector())).toThrow(TypeError)
})
