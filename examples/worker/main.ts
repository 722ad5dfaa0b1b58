// `npx tsx examples/worker/main.ts` (after `npm run build`): a queue worker on Kysely with one
// n1guard scope per job (detector.wrapJob). Starts PostgreSQL (embedded, or DATABASE_URL), seeds
// a pet shop in a schema of its own, runs a few jobs through two worker loops, and prints what
// n1guard found.
import { Kysely, PostgresDialect } from 'kysely'
import { consoleReporter, createDetector, type ScopeReport } from 'n1guard'
import { instrumentDialect } from 'n1guard/kysely'
import { runExample } from '../support/pet-shop-db.js'
import type { PetShopDB } from '../support/schema.js'
import { handleJob, type Job } from './jobs.js'
import { JobQueue, runWorker } from './queue.js'

const PETS_PER_PERSON = 3

runExample({ people: 4, petsPerPerson: PETS_PER_PERSON, toysPerPet: 2 }, async (pool) => {
  process.stdout.write('n1guard worker example: a job queue on Kysely, one scope per job\n')
  const reports: ScopeReport[] = []
  const detector = createDetector({ reporters: [consoleReporter({ stream: process.stdout }), (r) => reports.push(r)] })
  const db = new Kysely<PetShopDB>({ dialect: instrumentDialect(new PostgresDialect({ pool }), detector) })
  try {
    // The one n1guard line of the worker: every call of the handler runs in its own scope.
    const processJob = detector.wrapJob(
      (job: Job) => ({ name: `job ${job.type}`, id: `job-${job.id}` }),
      (job: Job) => handleJob(db, job),
    )
    const queue = new JobQueue<Job>()
    const results: string[] = []
    const worker = runWorker(queue, async (job) => results.push(`  ${job.type} #${job.id}: ${await processJob(job)}`), {
      concurrency: 2,
      onError: (job, error) => process.stdout.write(`  job ${job.id} failed: ${String(error)}\n`),
    })
    let id = 0
    for (const ownerId of [1, 2, 3]) queue.push({ id: ++id, type: 'toy-digest', ownerId })
    queue.push({ id: ++id, type: 'species-census' })
    queue.close()
    await worker
    process.stdout.write(`\nProcessed ${results.length} jobs:\n${results.join('\n')}\n\n`)

    for (const r of reports) {
      const found = r.findings.map((f) => `${f.kind} x${f.count} at ${f.callSite?.file}:${f.callSite?.line}`).join(', ')
      process.stdout.write(`  ${r.scope.id} (${r.scope.name}): ${r.queryCount} ${r.queryCount === 1 ? 'query' : 'queries'}, ${found || 'no N+1'}\n`)
    }
    const digests = reports.filter((r) => r.scope.name === 'job toy-digest')
    const census = reports.filter((r) => r.scope.name === 'job species-census')
    const ok =
      digests.length === 3 &&
      digests.every((r) => r.findings.length === 1 && r.findings[0]!.count === PETS_PER_PERSON) &&
      census.length === 1 &&
      census[0]!.findings.length === 0
    if (!ok) throw new Error('unexpected worker outcome: each toy-digest job should have one N+1, the census none')
    process.stdout.write(`\nn1guard found the N+1 in each toy-digest job (one toy query per pet) and none in the census.\n`)
  } finally {
    await db.destroy()
  }
})
