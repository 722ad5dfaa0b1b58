// The context the docs' snippets assume without making it (see the header of snippets.test.ts):
// the pet-shop schema of the examples, a Kysely instance and a pg pool on it, an Express app, a
// detector, the app's own functions the examples call, and Vitest's globals. Ambient, so a block
// that makes its own `db`, `app` or `DB` simply shadows these. Keep it to names a reader would
// take for granted; anything more belongs in the block or in its hidden prelude.
/// <reference types="vitest/globals" />
import type { Kysely, Transaction } from 'kysely'
import type pg from 'pg'
import type { Detector } from 'n1guard'
import type { Express } from 'express'

declare global {
  /** The pet-shop schema (examples/support/schema.ts). */
  interface DB {
    person: { id: import('kysely').Generated<number>; name: string }
    pet: { id: import('kysely').Generated<number>; owner_id: number; name: string; species: string }
    toy: { id: import('kysely').Generated<number>; pet_id: number; name: string }
  }
  const db: Kysely<DB>
  const pool: pg.Pool
  const app: Express
  const detector: Detector
  /** supertest */
  const request: typeof import('supertest')

  // The app's own functions the snippets test or wrap.
  type PersonWithPets = { id: number; name: string; pets: { name: string; species: string }[] }
  function listPeopleWithPets(db: Kysely<DB> | Transaction<DB>): Promise<PersonWithPets[]>
  function loadUserWithPets(db: Kysely<DB>, id: string | number): Promise<PersonWithPets | undefined>
  function insertPeople(n: number, trx: Transaction<DB>): Promise<void>
  function insertPersonWithPet(trx: Transaction<DB>, n: number): Promise<void>
  function exportEverything(db: Kysely<DB>): Promise<void>
  function createOrder(db: Kysely<DB>, cart: Cart): Promise<void>
  type Cart = { items: { sku: string; quantity: number }[] }
  const cart: Cart
  type Job = { id: string; name: string; data: Record<string, unknown> }
  function handleJob(job: Job): Promise<void>
  const worker: { process(handler: (job: Job) => unknown): void }
  const logger: { warn(entry: object): void; info(entry: object): void }
}
