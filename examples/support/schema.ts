import type { Generated } from 'kysely'

/** Kysely types for the pet-shop schema of ./seed.ts. */
export interface PetShopDB {
  person: { id: Generated<number>; name: string; email: string | null }
  pet: { id: Generated<number>; owner_id: number; name: string; species: string }
  toy: { id: Generated<number>; pet_id: number; name: string }
}
