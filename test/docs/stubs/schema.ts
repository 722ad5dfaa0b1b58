// What a docs snippet's `import type { DB } from './schema.js'` gets: the pet-shop tables.
import type { Generated } from 'kysely'

export interface DB {
  person: { id: Generated<number>; name: string }
  pet: { id: Generated<number>; owner_id: number; name: string; species: string }
  toy: { id: Generated<number>; pet_id: number; name: string }
}
