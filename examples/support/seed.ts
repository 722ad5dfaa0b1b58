// The pet-shop schema used by tests, the demo and the benchmarks: people own pets, pets own toys.
import type pg from 'pg'

export interface PetShopSize {
  /** People to insert (default 10). */
  readonly people?: number
  /** Pets per person (default 2). */
  readonly petsPerPerson?: number
  /** Toys per pet (default 2). */
  readonly toysPerPet?: number
}

export const PET_SHOP_DDL = `
  create table person (
    id serial primary key,
    name text not null,
    email text unique
  );
  create table pet (
    id serial primary key,
    owner_id integer not null references person(id),
    name text not null,
    species text not null
  );
  create index pet_owner_id on pet(owner_id);
  create table toy (
    id serial primary key,
    pet_id integer not null references pet(id),
    name text not null
  );
  create index toy_pet_id on toy(pet_id);
`

type Queryable = Pick<pg.Client, 'query'>

export async function seedPetShop(db: Queryable, size: PetShopSize = {}): Promise<void> {
  const people = size.people ?? 10
  const petsPer = size.petsPerPerson ?? 2
  const toysPer = size.toysPerPet ?? 2
  await db.query(PET_SHOP_DDL)
  await db.query(
    `insert into person (name, email) select 'person ' || i, 'person' || i || '@example.test' from generate_series(1, $1::int) i`,
    [people],
  )
  await db.query(
    `insert into pet (owner_id, name, species)
     select p.id, 'pet ' || p.id || '-' || j, case when j % 2 = 0 then 'cat' else 'dog' end
     from person p, generate_series(1, $1::int) j order by p.id, j`,
    [petsPer],
  )
  await db.query(
    `insert into toy (pet_id, name) select pet.id, 'toy ' || pet.id || '-' || k from pet, generate_series(1, $1::int) k order by pet.id, k`,
    [toysPer],
  )
}
