// The demo's web app: an ordinary Express + Kysely service. The only n1guard lines are the two
// marked below; everything else is what a team would write anyway.
import express from 'express'
import { Kysely, PostgresDialect } from 'kysely'
import { jsonArrayFrom } from 'kysely/helpers/postgres'
import type { Pool } from 'pg'
import type { Detector } from 'n1guard'
import { expressMiddleware } from 'n1guard/express'
import { instrumentDialect } from 'n1guard/kysely'
import type { PetShopDB } from '../support/schema.js'

export function createApp(pool: Pool, detector: Detector) {
  const db = new Kysely<PetShopDB>({
    dialect: instrumentDialect(new PostgresDialect({ pool }), detector), // n1guard, 1 of 2
  })
  const app = express()
  app.use(expressMiddleware(detector)) // n1guard, 2 of 2

  // The N+1: one query for the people, then one more query per person for their pets.
  app.get('/people/slow', async (_req, res) => {
    const people = await db.selectFrom('person').select(['id', 'name']).orderBy('id').execute()
    const result = []
    for (const person of people) {
      const pets = await db.selectFrom('pet').select(['name', 'species']).where('owner_id', '=', person.id).orderBy('id').execute() // @site:loop
      result.push({ ...person, pets })
    }
    res.json(result)
  })

  // The same response from one query: the pets are nested with jsonArrayFrom.
  app.get('/people/fast', async (_req, res) => {
    const result = await db
      .selectFrom('person')
      .select((eb) => [
        'person.id',
        'person.name',
        jsonArrayFrom(
          eb.selectFrom('pet').select(['pet.name', 'pet.species']).whereRef('pet.owner_id', '=', 'person.id').orderBy('pet.id'),
        ).as('pets'),
      ])
      .orderBy('person.id')
      .execute()
    res.json(result)
  })

  return { app, db }
}
