// What the GraphQL server tests (test/db/graphql-*.test.ts) share: one pet-shop schema whose
// resolvers query per parent (Person.pets, Pet.toys, and a raw-pg variant), through a per-request
// DataLoader (Person.petsBatched), through a DataLoader made per field call by mistake
// (Person.petsUnbatched), a resolver that fails after a query, and a subscription whose events each
// run a nested loop; plus the operations and the checks every server passes.
import { makeExecutableSchema } from '@graphql-tools/schema'
import DataLoader from 'dataloader'
import type { GraphQLSchema } from 'graphql'
import { Kysely, PostgresDialect } from 'kysely'
import type pg from 'pg'
import { expect } from 'vitest'
import type { PetShopDB } from '../../examples/support/schema.js'
import { createDetector, type Finding, type ScopeReport } from '../../src/index.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import { instrumentPool } from '../../src/pg/index.js'
import { createTestDatabase, type TestDatabase } from './db.js'
import { ReportLog } from './http.js'
import { siteOf } from './sites.js'

export const PETS_SITE = siteOf(import.meta.url, 'pets')
export const TOYS_SITE = siteOf(import.meta.url, 'toys')
export const UNBATCHED_SITE = siteOf(import.meta.url, 'unbatched')

export const typeDefs = /* GraphQL */ `
  type Query {
    people(limit: Int!): [Person!]!
    boom: Int
  }
  type Person {
    id: Int!
    name: String!
    pets: [Pet!]!
    petsRaw: [Pet!]!
    petsBatched: [Pet!]!
    petsUnbatched: [Pet!]!
  }
  type Pet {
    id: Int!
    name: String!
    toys: [Toy!]!
  }
  type Toy {
    id: Int!
    name: String!
  }
  type Subscription {
    personUpdated(ids: [Int!]!): Person
  }
`

type Pet = { id: number; name: string; owner_id: number }

/** Per-request loaders, made by the server's context factory. */
export interface Loaders {
  readonly petsByOwner: DataLoader<number, Pet[]>
}

export interface GraphQLContext {
  readonly loaders: Loaders
}

/** A fresh set of loaders: call once per request (in the context factory). */
export function makeLoaders(db: Kysely<PetShopDB>): Loaders {
  return {
    petsByOwner: new DataLoader(async (ids: readonly number[]) => {
      const rows = await db.selectFrom('pet').selectAll().where('owner_id', 'in', ids).orderBy('id').execute()
      return ids.map((id) => rows.filter((r) => r.owner_id === id))
    }),
  }
}

export const BOOM_MESSAGE = 'the boom resolver failed on purpose'

/** The test schema with its resolvers, on an instrumented Kysely (`db`) and pg pool (`pool`). */
export function makeSchema(db: Kysely<PetShopDB>, pool: pg.Pool): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs,
    resolvers: {
      Query: {
        people: (_: unknown, args: { limit: number }) => db.selectFrom('person').select(['id', 'name']).orderBy('id').limit(args.limit).execute(),
        boom: async () => {
          await db.selectFrom('person').select('id').where('id', '=', 1).execute()
          throw new Error(BOOM_MESSAGE)
        },
      },
      Person: {
        // Call sites come from the stack: a resolver that awaits its query has its line on it.
        pets: async (person: { id: number }) => await db.selectFrom('pet').selectAll().where('owner_id', '=', person.id).orderBy('id').execute(), // @site:pets
        petsRaw: async (person: { id: number }) => (await pool.query('select * from pet where owner_id = $1 order by id', [person.id])).rows,
        petsBatched: (person: { id: number }, _: unknown, ctx: GraphQLContext) => ctx.loaders.petsByOwner.load(person.id),
        // A DataLoader made inside the resolver: one per parent, so it never batches.
        petsUnbatched: (person: { id: number }) =>
          new DataLoader(async (ids: readonly number[]) => {
            const rows = await db.selectFrom('pet').selectAll().where('owner_id', 'in', ids).execute() // @site:unbatched
            return ids.map((id) => rows.filter((r) => r.owner_id === id))
          }).load(person.id),
      },
      Pet: {
        toys: async (pet: { id: number }) => await db.selectFrom('toy').select(['id', 'name']).where('pet_id', '=', pet.id).orderBy('id').execute(), // @site:toys
      },
      Subscription: {
        personUpdated: {
          subscribe: async function* (_: unknown, args: { ids: number[] }) {
            for (const id of args.ids) yield { personUpdated: { id } }
          },
          resolve: async (payload: { personUpdated: { id: number } }) =>
            await db.selectFrom('person').select(['id', 'name']).where('id', '=', payload.personUpdated.id).executeTakeFirst(),
        },
      },
    },
  })
}

export const PEOPLE_WITH_PETS = 'query PeopleWithPets { people(limit: 5) { name pets { name } } }'
export const PEOPLE_WITH_PETS_RAW = 'query PeopleWithPetsRaw { people(limit: 5) { name petsRaw { name } } }'
export const PEOPLE_BATCHED = 'query PeopleBatched { people(limit: 5) { name petsBatched { name } } }'
export const PEOPLE_UNBATCHED = 'query PeopleUnbatched { people(limit: 5) { name petsUnbatched { name } } }'
export const PEOPLE_PETS_TOYS = 'query PeoplePetsToys { people(limit: 4) { name pets { name toys { name } } } }'
export const ANONYMOUS = '{ people(limit: 3) { pets { name } } }'
export const BOOM = 'query Boom { boom }'
export const SUBSCRIPTION = 'subscription PersonUpdates { personUpdated(ids: [1, 2, 3]) { name pets { name toys { name } } } }'

/** The one N+1 finding of `report`; fails, showing the report, when there is not exactly one. */
export function theLoop(report: ScopeReport | undefined): Finding {
  const loops = report?.findings.filter((f) => f.kind === 'n-plus-one') ?? []
  expect(loops, JSON.stringify(report, null, 2)).toHaveLength(1)
  return loops[0]!
}

/** The checks on `Person.pets` run per person (`parents` people) in `operation`. */
export function expectPetsLoop(f: Finding, operation: string, parents: number, site = PETS_SITE): void {
  expect(f.resolver).toMatchObject({
    field: 'Person.pets',
    path: 'Query.people.pets',
    parentType: 'Person',
    parents,
    queries: parents,
    operation,
    multiplies: 'Person.pets',
  })
  expect(f.count).toBe(parents)
  expect(f.table).toBe('pet')
  expect(f.callSite).toMatchObject(site)
  // The proof: the people query's ids fed the pet queries.
  expect(f.source).toMatchObject({ table: 'person', column: 'id' })
  expect(f.hint).toContain('DataLoader')
  expect(f.hint).toContain('per request')
}

/** The request body of a batched HTTP request running `queries`. */
export function batch(...queries: string[]): string {
  return JSON.stringify(queries.map((query) => ({ query })))
}

/**
 * What a GraphQL server test file shares: a detector reporting to `log`, the pet-shop database (8
 * people, 3 pets each, 2 toys per pet) behind an instrumented Kysely and an instrumented pg pool.
 */
export class GraphQLFixture {
  readonly log = new ReportLog()
  readonly detector = createDetector({ reporters: [this.log.reporter] })
  private database: TestDatabase | undefined
  db!: Kysely<PetShopDB>
  pool!: pg.Pool

  async open(): Promise<void> {
    this.database = await createTestDatabase({ people: 8, petsPerPerson: 3 })
    this.pool = instrumentPool(this.database.pool({ max: 3 }), this.detector)
    this.db = new Kysely<PetShopDB>({ dialect: instrumentDialect(new PostgresDialect({ pool: this.database.pool({ max: 3 }) }), this.detector) })
  }

  /** A fresh schema with the test resolvers (servers wrap resolvers in place: one per server). */
  schema(): GraphQLSchema {
    return makeSchema(this.db, this.pool)
  }

  /** The context every request gets: its own loaders. */
  context(): GraphQLContext {
    return { loaders: makeLoaders(this.db) }
  }

  async close(): Promise<void> {
    await this.db?.destroy()
    await this.database?.drop()
  }
}
