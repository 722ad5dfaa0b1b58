// Type tests for every subpath: `npm run typecheck` compiles this file, so a public type that
// drifts (a lost generic, a widened return, a framework that no longer accepts the middleware)
// breaks CI. At run time each test only checks that the names exist.
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import Koa from 'koa'
import { Kysely, PostgresDialect, type Dialect } from 'kysely'
import pg from 'pg'
import { describe, expect, expectTypeOf, test } from 'vitest'
import {
  createDetector,
  fingerprint,
  NPlusOneError,
  type CaptureReport,
  type Detector,
  type Finding,
  type Fingerprint,
  type QueryRecord,
  type ScopeHandle,
  type ScopeReport,
} from '../../src/index.js'
import { expressMiddleware } from '../../src/http/express.js'
import { fastifyPlugin } from '../../src/http/fastify.js'
import { honoMiddleware } from '../../src/http/hono.js'
import { koaMiddleware } from '../../src/http/koa.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import { instrumentClient, instrumentPool } from '../../src/pg/index.js'
import type { PetShopDB } from '../../examples/support/schema.js'
import { FINDING_EVENT_NAMES, findingAttributes, otelReporter } from '../../src/otel/index.js'
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres'
import knex, { type Knex } from 'knex'
import { MikroORM } from '@mikro-orm/postgresql'
import { Sequelize } from 'sequelize'
import { DataSource } from 'typeorm'
import { PrismaPg } from '@prisma/adapter-pg'
import { PrismaClient } from '../../.generated/prisma/client.js'
import { instrumentDrizzle } from '../../src/orm/drizzle.js'
import { instrumentKnex } from '../../src/orm/knex.js'
import { instrumentMikroORM } from '../../src/orm/mikro-orm.js'
import { instrumentPrisma } from '../../src/orm/prisma.js'
import { instrumentSequelize } from '../../src/orm/sequelize.js'
import { instrumentTypeORM } from '../../src/orm/typeorm.js'
import { readFindingsNdjson, renderReport, startPanel, type Panel } from '../../src/panel/index.js'
import {
  assertConstantQueries,
  assertNoNPlusOne,
  assertQueryCount,
  QueryCountError,
  type ScaleCounts,
} from '../../src/testing/index.js'
import { installMatchers } from '../../src/vitest/index.js'
import type { Transaction } from 'kysely'
import type { Attributes } from '@opentelemetry/api'
import { jsonReporter, type Reporter } from '../../src/index.js'

const detector = createDetector({ mode: 'silent' })

describe('n1guard', () => {
  test('createDetector, run, capture, assertNoNPlusOne', async () => {
    expectTypeOf(createDetector).parameter(0).toMatchTypeOf<object | undefined>()
    expectTypeOf(detector).toEqualTypeOf<Detector>()
    expectTypeOf(detector.run('x', async () => 42)).toEqualTypeOf<Promise<number>>()
    expectTypeOf(detector.run({ name: 'x', id: 'r1', maxQueries: 5 }, () => 'sync')).toEqualTypeOf<Promise<string>>()
    expectTypeOf(detector.capture(async () => [1, 2])).toEqualTypeOf<Promise<CaptureReport<number[]>>>()
    expectTypeOf<CaptureReport<number>['queries']>().toEqualTypeOf<QueryRecord[]>()
    expectTypeOf<CaptureReport<number>['findings']>().toEqualTypeOf<Finding[]>()
    expectTypeOf(detector.assertNoNPlusOne(async () => true)).toEqualTypeOf<Promise<boolean>>()
    expectTypeOf(detector.startScope('x')).toEqualTypeOf<ScopeHandle>()
    expectTypeOf(detector.ignore(() => 7)).toEqualTypeOf<number>()
    const job = detector.wrapJob((name: string) => `job ${name}`, async (name: string, n: number) => n * 2)
    expectTypeOf(job).toEqualTypeOf<(name: string, n: number) => Promise<number>>()
    // A queue's numeric job id in the docs' { name, id } pattern type-checks (and runs).
    const numbered = detector.wrapJob((j: { id: number; name: string }) => ({ name: `job ${j.name}`, id: j.id }), async (j: { id: number; name: string }) => j.id)
    expectTypeOf(numbered).toEqualTypeOf<(j: { id: number; name: string }) => Promise<number>>()
    // @ts-expect-error: bad option value
    expect(() => createDetector({ mode: 'loud' })).toThrow(TypeError)
    // @ts-expect-error: the scope must be a string or an object
    await expect(detector.run(42, () => 1)).rejects.toThrow(TypeError)
    expect(typeof detector.run).toBe('function')
  })

  test('findings and records', () => {
    expectTypeOf<Finding['kind']>().toEqualTypeOf<'n-plus-one' | 'duplicate' | 'query-budget' | 'missing-index' | 'deep-offset' | 'unbounded-select'>()
    expectTypeOf<Finding['sql']>().toEqualTypeOf<string>()
    expectTypeOf<Finding['callSite']>().toEqualTypeOf<{ readonly file: string; readonly line: number; readonly column: number; readonly function?: string } | undefined>()
    expectTypeOf<Finding['scope']>().toMatchTypeOf<{ id: string; name?: string }>()
    expectTypeOf<QueryRecord['params']>().toEqualTypeOf<readonly unknown[] | undefined>()
    expectTypeOf<NPlusOneError['findings']>().toEqualTypeOf<readonly Finding[]>()
    expectTypeOf(new NPlusOneError([])).toMatchTypeOf<Error>()
    expectTypeOf(fingerprint('select 1')).toEqualTypeOf<Fingerprint>()
    expectTypeOf<Fingerprint>().toEqualTypeOf<{ readonly id: string; readonly shape: string }>()
    expectTypeOf<ScopeReport['findings']>().toEqualTypeOf<readonly Finding[]>()
    expect(NPlusOneError.name).toBe('NPlusOneError')
  })
})

describe('n1guard/kysely and n1guard/pg', () => {
  test('the instrumented objects keep their own types', () => {
    const pool = new pg.Pool()
    expectTypeOf(instrumentPool(pool, detector)).toEqualTypeOf<pg.Pool>()
    expectTypeOf(instrumentClient(new pg.Client(), detector)).toEqualTypeOf<pg.Client>()
    const dialect = instrumentDialect(new PostgresDialect({ pool }), detector)
    expectTypeOf(dialect).toEqualTypeOf<PostgresDialect>()
    expectTypeOf(dialect).toMatchTypeOf<Dialect>()
    expectTypeOf(new Kysely<PetShopDB>({ dialect })).toEqualTypeOf<Kysely<PetShopDB>>()
    // @ts-expect-error: not a pool
    expect(() => instrumentPool({ query: () => 1 }, detector)).toThrow(TypeError)
    void pool.end()
  })
})

describe('framework subpaths fit their frameworks', () => {
  test('express, fastify, koa, hono accept what n1guard gives them', () => {
    const app = express()
    app.use(expressMiddleware(detector))
    const fastify = Fastify()
    void fastify.register(fastifyPlugin, { detector })
    new Koa().use(koaMiddleware(detector))
    new Hono().use(honoMiddleware(detector))
    expect(typeof expressMiddleware).toBe('function')
  })
})

describe('n1guard/testing, n1guard/vitest and n1guard/otel', () => {
  test('plain assertions keep the result type; assertConstantQueries infers the transaction', () => {
    // Types only: run with no instrumented pool, both would (rightly) reject for want of queries.
    const noN1 = () => assertNoNPlusOne(async () => 'x')
    const counted = () => assertQueryCount(async () => 1, { max: 2 })
    expectTypeOf<ReturnType<typeof noN1>>().toEqualTypeOf<Promise<string>>()
    expectTypeOf<ReturnType<typeof counted>>().toEqualTypeOf<Promise<number>>()
    const kdb = new Kysely<PetShopDB>({ dialect: new PostgresDialect({ pool: new pg.Pool() }) })
    const scales = assertConstantQueries(
      async (n, trx) => {
        expectTypeOf(n).toEqualTypeOf<number>()
        expectTypeOf(trx).toEqualTypeOf<Transaction<PetShopDB>>()
      },
      { db: kdb, scales: [2, 3] },
    )
    expectTypeOf(scales).toEqualTypeOf<Promise<ScaleCounts[]>>()
    scales.catch(() => undefined)
    void kdb.destroy()
    expectTypeOf(new QueryCountError('x', {} as never)).toMatchTypeOf<Error>()
    expect(typeof assertQueryCount).toBe('function')
  })

  test('the Vitest matchers are on expect() and return promises', () => {
    installMatchers()
    expectTypeOf(expect(() => 1).toHaveNoNPlusOne).returns.toEqualTypeOf<Promise<void>>()
    expectTypeOf(expect(() => 1).toRunQueries).parameter(0).toMatchTypeOf<{ max?: unknown; exact?: unknown }>()
  })

  test('reporters are Reporters; OpenTelemetry names every finding kind', () => {
    expectTypeOf(otelReporter()).toMatchTypeOf<Reporter>()
    expectTypeOf(jsonReporter()).toMatchTypeOf<Reporter>()
    expectTypeOf(findingAttributes).returns.toEqualTypeOf<Attributes>()
    expect(Object.keys(FINDING_EVENT_NAMES).sort()).toEqual(['deep-offset', 'duplicate', 'missing-index', 'n-plus-one', 'query-budget', 'unbounded-select'])
  })

  test('each ORM helper takes the ORM instance as the ORM types it and hands it back unchanged, cast-free', () => {
    // Types only: none of these functions is called, so nothing connects.
    const onDrizzle = (d: Detector, pool: pg.Pool) => instrumentDrizzle(drizzle({ client: pool }), d)
    const onKnex = (d: Detector) => instrumentKnex(knex({ client: 'pg' }), d)
    const onSequelize = (d: Detector) => instrumentSequelize(new Sequelize('postgres://localhost/db'), d)
    const onTypeORM = (d: Detector) => instrumentTypeORM(new DataSource({ type: 'postgres' }), d)
    const onMikroORM = (d: Detector, orm: MikroORM) => instrumentMikroORM(orm, d)
    const onPrisma = (d: Detector, pool: pg.Pool) => instrumentPrisma(new PrismaClient({ adapter: new PrismaPg(pool) }), d)
    expectTypeOf(onDrizzle).returns.toEqualTypeOf<NodePgDatabase<Record<string, never>> & { $client: pg.Pool }>()
    expectTypeOf(onKnex).returns.toEqualTypeOf<Knex<any, unknown[]>>()
    expectTypeOf(onSequelize).returns.toEqualTypeOf<Sequelize>()
    expectTypeOf(onTypeORM).returns.toEqualTypeOf<DataSource>()
    expectTypeOf(onMikroORM).returns.toEqualTypeOf<MikroORM>()
    expectTypeOf(onPrisma).returns.toEqualTypeOf<PrismaClient>()
    expect(typeof instrumentDrizzle).toBe('function')
  })

  test('startPanel takes a detector and { port, host, pool } and resolves to { url, close() }', () => {
    expectTypeOf(startPanel).parameter(0).toEqualTypeOf<Detector>()
    expectTypeOf(startPanel).parameter(1).toMatchTypeOf<{ port?: number; host?: string } | undefined>()
    expectTypeOf<Panel>().toMatchTypeOf<{ readonly url: string; close(): Promise<void> }>()
    expectTypeOf(startPanel).returns.toMatchTypeOf<Panel & PromiseLike<Panel>>()
    // a pg Pool is a valid EXPLAIN connection
    expectTypeOf(startPanel).toBeCallableWith(createDetector(), { pool: new pg.Pool() })
    expectTypeOf(renderReport({ findings: readFindingsNdjson('') })).toEqualTypeOf<string>()
    expect(typeof startPanel).toBe('function')
  })
})
