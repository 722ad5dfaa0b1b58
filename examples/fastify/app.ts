// The Fastify example's app: an ordinary Fastify + Kysely service. The only n1guard lines are the
// two marked below.
import Fastify from 'fastify'
import { Kysely, PostgresDialect } from 'kysely'
import { jsonArrayFrom } from 'kysely/helpers/postgres'
import type { Pool } from 'pg'
import type { Detector } from 'n1guard'
import { fastifyPlugin } from 'n1guard/fastify'
import { instrumentDialect } from 'n1guard/kysely'
import type { PetShopDB } from '../support/schema.js'

export async function createApp(pool: Pool, detector: Detector) {
  const db = new Kysely<PetShopDB>({
    dialect: instrumentDialect(new PostgresDialect({ pool }), detector), // n1guard, 1 of 2
  })
  const app = Fastify()
  await app.register(fastifyPlugin, { detector }) // n1guard, 2 of 2 (awaited, before the routes)

  // The N+1: one query for an owner's pets, then one more query per pet for its toys.
  app.get<{ Params: { ownerId: string } }>('/owners/:ownerId/pets/slow', async (request) => {
    const pets = await db.selectFrom('pet').select(['id', 'name']).where('owner_id', '=', Number(request.params.ownerId)).orderBy('id').execute()
    const result = []
    for (const pet of pets) {
      const toys = await db.selectFrom('toy').select('name').where('pet_id', '=', pet.id).orderBy('id').execute() // @site:toys
      result.push({ ...pet, toys })
    }
    return result
  })

  // The same response from one query: the toys are nested with jsonArrayFrom.
  app.get<{ Params: { ownerId: string } }>('/owners/:ownerId/pets/fast', async (request) => {
    return await db
      .selectFrom('pet')
      .select((eb) => [
        'pet.id',
        'pet.name',
        jsonArrayFrom(eb.selectFrom('toy').select('toy.name').whereRef('toy.pet_id', '=', 'pet.id').orderBy('toy.id')).as('toys'),
      ])
      .where('pet.owner_id', '=', Number(request.params.ownerId))
      .orderBy('pet.id')
      .execute()
  })

  return { app, db }
}
