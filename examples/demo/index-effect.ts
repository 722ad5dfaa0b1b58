// `npm run example:index`: what the index the advisor asks for is worth on the demo's schema.
// Seeds the pet shop with enough rows to matter, drops pet.owner_id's index (as the demo does),
// times the demo's N+1 (one pets query per person), lets the advisor name the missing index,
// creates it with the advisor's own statement, and times the same loop again.
import pg from 'pg'
import { createDetector } from 'n1guard'
import { instrumentPool } from 'n1guard/pg'
import { createPetShopSchema, dropSchema, searchPath } from '../support/pet-shop-db.js'
import { startPostgres } from '../support/postgres.js'

const PEOPLE = Number(process.env.PEOPLE ?? 50_000)
const PETS_PER_PERSON = 4
const LOOP = 20
const RUNS = 15
// The statement Kysely compiles for the demo's loop (examples/demo/app.ts).
const SQL = 'select "name", "species" from "pet" where "owner_id" = $1 order by "id"'

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

async function main(): Promise<void> {
  const server = await startPostgres()
  const schema = await createPetShopSchema(server.url, { people: PEOPLE, petsPerPerson: PETS_PER_PERSON, toysPerPet: 0 }, 'index')
  const pool = new pg.Pool({ connectionString: server.url, options: searchPath(schema), max: 2 })
  try {
    await pool.query('drop index pet_owner_id')
    await pool.query('analyze person; analyze pet')
    const detector = createDetector({ mode: 'silent', advisor: { catalog: true, explain: true } })
    instrumentPool(pool, detector)
    // The loop of the demo, over people spread across the table.
    const owners = Array.from({ length: LOOP }, (_, i) => 1 + Math.floor((i * PEOPLE) / LOOP))
    const loop = async () => {
      for (const owner of owners) await pool.query(SQL, [owner])
    }
    const time = async () => {
      await loop() // warm the cache
      const runs: number[] = []
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now()
        await loop()
        runs.push(performance.now() - t0)
      }
      return median(runs)
    }

    const before = await time()
    const { findings } = await detector.capture(loop)
    const advice = findings.find((f) => f.kind === 'missing-index')
    if (advice?.index === undefined) throw new Error(`the advisor found no missing index: ${JSON.stringify(findings)}`)
    process.stdout.write(`n1guard: ${advice.hint}\n\n`)
    await pool.query(advice.index.createIndex)
    await pool.query('analyze pet')
    const after = await time()
    const explained = await pool.query(`explain (format json) ${SQL}`, [owners[0]])
    const plan = (explained.rows[0] as { 'QUERY PLAN': Array<{ Plan: { 'Node Type': string; Plans?: Array<{ 'Node Type': string }> } }> })['QUERY PLAN'][0]!.Plan
    // Under the sort, the scan of pet.
    const scan = plan.Plans?.[0]?.['Node Type'] ?? plan['Node Type']
    const again = await detector.capture(loop)
    const still = again.findings.filter((f) => f.kind === 'missing-index').length

    process.stdout.write(
      `${PEOPLE.toLocaleString('en')} people, ${(PEOPLE * PETS_PER_PERSON).toLocaleString('en')} pets; the loop runs ${LOOP} queries; median of ${RUNS} runs\n\n` +
        '| pet.owner_id | plan of one query | the loop (20 queries) | per query |\n|---|---|---|---|\n' +
        `| no index | ${advice.index.planNode ?? '?'} | ${before.toFixed(2)} ms | ${(before / LOOP).toFixed(3)} ms |\n` +
        `| \`${advice.index.createIndex}\` | ${scan} on pet | ${after.toFixed(2)} ms | ${(after / LOOP).toFixed(3)} ms |\n\n` +
        `${(before / after).toFixed(1)}× faster; the advisor's missing-index findings after the index: ${still}\n`,
    )
    if (still !== 0 || after >= before) throw new Error('the index did not help')
  } finally {
    await pool.end().catch(() => undefined)
    await dropSchema(server.url, schema)
    await server.stop()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
