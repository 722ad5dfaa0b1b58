// One response, four ways: "every person with their pets". The first is the N+1; the other three
// are the fixes docs/fixing-n-plus-one.md describes. Each returns the same JSON.
import DataLoader from 'dataloader'
import type { Kysely } from 'kysely'
import { jsonArrayFrom } from 'kysely/helpers/postgres'
import type { PetShopDB } from '../support/schema.js'

export interface PersonWithPets {
  id: number
  name: string
  pets: Array<{ name: string; species: string }>
}

/** The N+1: one query for the people, then one per person for their pets. */
export async function nPlusOne(db: Kysely<PetShopDB>): Promise<PersonWithPets[]> {
  const people = await db.selectFrom('person').select(['id', 'name']).orderBy('id').execute()
  const result: PersonWithPets[] = []
  for (const person of people) {
    const pets = await db.selectFrom('pet').select(['name', 'species']).where('owner_id', '=', person.id).orderBy('id').execute()
    result.push({ ...person, pets })
  }
  return result
}

/** Fix 1: load all the pets in one query with `where ... in`, then group them in memory. */
export async function whereIn(db: Kysely<PetShopDB>): Promise<PersonWithPets[]> {
  const people = await db.selectFrom('person').select(['id', 'name']).orderBy('id').execute()
  const pets = await db
    .selectFrom('pet')
    .select(['owner_id', 'name', 'species'])
    .where('owner_id', 'in', people.map((p) => p.id))
    .orderBy('id')
    .execute()
  const byOwner = new Map<number, PersonWithPets['pets']>()
  for (const { owner_id, ...pet } of pets) {
    const list = byOwner.get(owner_id)
    if (list === undefined) byOwner.set(owner_id, [pet])
    else list.push(pet)
  }
  return people.map((p) => ({ ...p, pets: byOwner.get(p.id) ?? [] }))
}

/** Fix 2: nest the pets in the people query with `jsonArrayFrom`: one round trip. */
export async function nested(db: Kysely<PetShopDB>): Promise<PersonWithPets[]> {
  return await db
    .selectFrom('person')
    .select((eb) => [
      'person.id',
      'person.name',
      jsonArrayFrom(eb.selectFrom('pet').select(['pet.name', 'pet.species']).whereRef('pet.owner_id', '=', 'person.id').orderBy('pet.id')).as('pets'),
    ])
    .orderBy('person.id')
    .execute()
}

/**
 * Fix 3: a DataLoader made per request. Code that asks for one person's pets at a time (a GraphQL
 * resolver, a helper called in a loop) keeps doing so; the loader batches the asks of one tick
 * into one `where ... in` query.
 */
export function petsLoader(db: Kysely<PetShopDB>): DataLoader<number, PersonWithPets['pets']> {
  return new DataLoader(async (ownerIds: readonly number[]) => {
    const pets = await db
      .selectFrom('pet')
      .select(['owner_id', 'name', 'species'])
      .where('owner_id', 'in', [...ownerIds])
      .orderBy('id')
      .execute()
    return ownerIds.map((id) => pets.filter((p) => p.owner_id === id).map(({ owner_id: _, ...pet }) => pet))
  })
}

export async function withDataLoader(db: Kysely<PetShopDB>): Promise<PersonWithPets[]> {
  const loader = petsLoader(db)
  const people = await db.selectFrom('person').select(['id', 'name']).orderBy('id').execute()
  return await Promise.all(people.map(async (p) => ({ ...p, pets: await loader.load(p.id) })))
}
