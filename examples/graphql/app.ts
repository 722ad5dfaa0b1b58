// The GraphQL example's app: an ordinary GraphQL Yoga + Kysely service over the pet shop. The only
// n1guard lines are the two marked below. `fixed` chooses how Person.pets resolves: one query per
// person (the N+1), or through a DataLoader created per request (the fix).
import { createServer, type Server } from 'node:http'
import DataLoader from 'dataloader'
import { createSchema, createYoga } from 'graphql-yoga'
import { Kysely, PostgresDialect } from 'kysely'
import type { Pool } from 'pg'
import type { Detector } from 'n1guard'
import { useN1guard } from 'n1guard/graphql'
import { instrumentDialect } from 'n1guard/kysely'
import type { PetShopDB } from '../support/schema.js'

const typeDefs = /* GraphQL */ `
  type Query {
    people: [Person!]!
  }
  type Person {
    id: Int!
    name: String!
    pets: [Pet!]!
  }
  type Pet {
    name: String!
    species: String!
  }
`

type Pet = PetShopDB['pet'] extends infer P ? { [K in keyof P]: K extends 'id' ? number : P[K] } : never

interface Context {
  readonly pets: DataLoader<number, Pet[]>
}

export function createApp(pool: Pool, detector: Detector, fixed: boolean): { server: Server; db: Kysely<PetShopDB> } {
  const db = new Kysely<PetShopDB>({
    dialect: instrumentDialect(new PostgresDialect({ pool }), detector), // n1guard, 1 of 2
  })

  // The fix: a DataLoader keyed by the person's id, one per request, loading every person's pets in
  // one query per batch.
  const petsByOwner = () =>
    new DataLoader<number, Pet[]>(async (ownerIds) => {
      const rows = await db.selectFrom('pet').selectAll().where('owner_id', 'in', ownerIds).orderBy('id').execute()
      return ownerIds.map((id) => rows.filter((pet) => pet.owner_id === id))
    })

  const yoga = createYoga<{}, Context>({
    schema: createSchema<Context>({
      typeDefs,
      resolvers: {
        Query: {
          people: async () => await db.selectFrom('person').select(['id', 'name']).orderBy('id').execute(),
        },
        Person: {
          pets: fixed
            ? async (person: { id: number }, _args: unknown, ctx: Context) => await ctx.pets.load(person.id)
            : // The N+1: one query per person.
              async (person: { id: number }) => await db.selectFrom('pet').selectAll().where('owner_id', '=', person.id).orderBy('id').execute(), // @site:pets
        },
      },
    }),
    context: () => ({ pets: petsByOwner() }),
    plugins: [useN1guard(detector)], // n1guard, 2 of 2
    logging: false,
  })
  return { server: createServer(yoga), db }
}
