// The worker's job handlers: ordinary Kysely code, no n1guard in sight.
import type { Kysely } from 'kysely'
import type { PetShopDB } from '../support/schema.js'

export type Job =
  | { readonly id: number; readonly type: 'toy-digest'; readonly ownerId: number }
  | { readonly id: number; readonly type: 'species-census' }

/** The N+1: one query for an owner's pets, then one more query per pet for its toys. */
export async function toyDigest(db: Kysely<PetShopDB>, ownerId: number): Promise<string> {
  const pets = await db.selectFrom('pet').select(['id', 'name']).where('owner_id', '=', ownerId).orderBy('id').execute()
  const lines = []
  for (const pet of pets) {
    const toys = await db.selectFrom('toy').select('name').where('pet_id', '=', pet.id).orderBy('id').execute() // @site:toys
    lines.push(`${pet.name} has ${toys.map((t) => t.name).join(', ')}`)
  }
  return lines.join('; ')
}

/** One grouped query: no N+1. */
export async function speciesCensus(db: Kysely<PetShopDB>): Promise<string> {
  const rows = await db
    .selectFrom('pet')
    .select((eb) => ['species', eb.fn.countAll<string>().as('pets')])
    .groupBy('species')
    .orderBy('species')
    .execute()
  return rows.map((r) => `${r.pets} ${r.species}s`).join(', ')
}

export async function handleJob(db: Kysely<PetShopDB>, job: Job): Promise<string> {
  switch (job.type) {
    case 'toy-digest':
      return await toyDigest(db, job.ownerId)
    case 'species-census':
      return await speciesCensus(db)
  }
}
