// `npm run example:fixes`: the N+1 of examples/fixes/approaches.ts and its three fixes, on a real
// PostgreSQL, with the queries n1guard counts and the time each takes (median of 25 runs).
import { Kysely, PostgresDialect } from 'kysely'
import { createDetector } from 'n1guard'
import { instrumentDialect } from 'n1guard/kysely'
import { runExample } from '../support/pet-shop-db.js'
import type { PetShopDB } from '../support/schema.js'
import { nested, nPlusOne, whereIn, withDataLoader, type PersonWithPets } from './approaches.js'

const PEOPLE = 100
const RUNS = 25

runExample({ people: PEOPLE, petsPerPerson: 3, toysPerPet: 0 }, async (pool) => {
  const detector = createDetector({ mode: 'silent' })
  const db = new Kysely<PetShopDB>({ dialect: instrumentDialect(new PostgresDialect({ pool }), detector) })
  const approaches: Array<[string, (db: Kysely<PetShopDB>) => Promise<PersonWithPets[]>]> = [
    ['N+1: a query per person', nPlusOne],
    ["fix 1: .where('owner_id', 'in', ids) + group in memory", whereIn],
    ['fix 2: jsonArrayFrom() in the people query', nested],
    ['fix 3: a DataLoader per request', withDataLoader],
  ]
  const rows: string[] = []
  let expected: string | undefined
  for (const [label, load] of approaches) {
    const { result, queries, findings } = await detector.capture(() => load(db))
    const json = JSON.stringify(result)
    expected ??= json
    if (json !== expected) throw new Error(`${label} returned a different result`)
    const times: number[] = []
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now()
      await load(db)
      times.push(performance.now() - t0)
    }
    times.sort((a, b) => a - b)
    const median = times[RUNS >> 1]!
    const nplus = findings.filter((f) => f.kind === 'n-plus-one').length
    rows.push(`| ${label} | ${queries.length} | ${median.toFixed(2)} ms | ${nplus === 0 ? 'none' : `${nplus} N+1`} |`)
  }
  process.stdout.write(
    `Every person (${PEOPLE}) with their pets (${PEOPLE * 3}), four ways, same JSON (median of ${RUNS} runs):\n\n` +
      `| approach | queries | time | n1guard |\n|---|---|---|---|\n${rows.join('\n')}\n`,
  )
  await db.destroy()
})
