import { PrismaPg } from '@prisma/adapter-pg'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { PrismaClient } from '../../.generated/prisma/client.js'
import { createDetector } from '../../src/index.js'
import { instrumentPrisma } from '../../src/orm/prisma.js'
import { createOrmDatabase, type OrmDatabase } from '../support/orm-db.js'

let odb: OrmDatabase
const detector = createDetector({ mode: 'silent' })
let prisma: PrismaClient

beforeAll(async () => {
  odb = await createOrmDatabase('prisma')
  prisma = instrumentPrisma(new PrismaClient({ adapter: new PrismaPg(odb.pool(), { schema: odb.schema }) }), detector)
})
afterAll(async () => { await prisma.$disconnect(); await odb.drop() })

test('scratch', async () => {
  const r = await detector.capture(async () => {
    const authors = await prisma.author.findMany()
    for (const a of authors) await prisma.book.findMany({ where: { authorId: a.id } })
    await Promise.all(authors.map((a) => prisma.book.findMany({ where: { authorId: a.id } })))
    await prisma.author.findMany({ include: { books: true } })
    await prisma.author.findMany({ include: { books: true }, relationLoadStrategy: 'join' })
    await prisma.author.findUnique({ where: { id: 1 } })
    await prisma.author.findUnique({ where: { id: 2 } })
    await prisma.author.findUnique({ where: { id: 3 } })
    await Promise.all(authors.map((a) => prisma.author.findUnique({ where: { id: a.id } })))
    await prisma.$transaction(async (tx) => {
      for (const a of authors) await tx.book.findMany({ where: { authorId: a.id } })
    })
    for (const a of authors.slice(0, 3)) await prisma.author.findUnique({ where: { id: a.id } }).books()
  })
  console.log(JSON.stringify(r.findings.map((f) => [f.kind, f.count, f.callSite, f.hint, f.parallel]), null, 1))
  console.log(r.queries.map((q) => `${q.sql.slice(0, 90)} ${q.callSite?.line}`).join('\n'))
  expect(r.findings.length).toBeGreaterThan(0)
})
