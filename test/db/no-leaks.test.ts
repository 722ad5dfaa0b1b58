// No data leaks: values the application passes as parameters or inlines in its SQL never leave the
// process through n1guard unless the detector is created with `captureParams: true`; even then,
// literals inlined in SQL stay masked in every shape. One workload that reaches every output runs
// twice (captureParams off and on); every output is read back as text and searched for the secrets.
//
// To cover a new output (a reporter, span events, a summary file), add one entry to OUTPUTS.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kysely, PostgresDialect, sql } from 'kysely'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import {
  consoleReporter,
  createDetector,
  NPlusOneError,
  onScopeEnd,
  type CaptureReport,
  type Detector,
  type DetectorOptions,
  type Finding,
  type Reporter,
  type ScopeEndEvent,
} from '../../src/index.js'
import { Baseline } from '../../src/core/baseline.js'
import { resetInternalErrors } from '../../src/core/internal-error.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import { instrumentPool } from '../../src/pg/index.js'
import type { PetShopDB } from '../../examples/support/schema.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'

/** Passed as a bound parameter. */
const PARAM_SECRET = 'sentinel-param-7f3a@example.test'
/** Inlined in SQL text as a literal. */
const INLINE_SECRET = 'sentinel-inline-91c2'
const SECRETS = [PARAM_SECRET, INLINE_SECRET, 'sentinel-']

let db: TestDatabase

beforeAll(async () => {
  db = await createTestDatabase({ people: 5 })
})

afterAll(async () => {
  await db.drop()
})

/** What one run of the workload left behind, for outputs to read. */
interface Run {
  /** Everything written to process.stderr: the default reporter, warnings, internal errors. */
  readonly stderr: string[]
  readonly errors: NPlusOneError[]
  readonly captures: CaptureReport<unknown>[]
  readonly events: ScopeEndEvent[]
  readonly findings: Finding[]
  readonly dir: string
}

/** An output n1guard writes or hands out: an optional reporter to plug in, and its text afterwards. */
interface Output {
  readonly name: string
  /** True when the output only carries shapes, never values, even with captureParams. */
  readonly shapesOnly?: boolean
  readonly open: (run: Run) => { readonly reporter?: Reporter; readonly read: () => string }
}

const OUTPUTS: readonly Output[] = [
  {
    name: 'console reporter lines',
    shapesOnly: true,
    open: () => {
      const out: string[] = []
      return { reporter: consoleReporter({ stream: { write: (s: string) => out.push(s) }, colors: false }), read: () => out.join('') }
    },
  },
  {
    name: 'reports handed to reporters, as JSON',
    open: () => {
      const out: string[] = []
      return { reporter: (r) => void out.push(JSON.stringify(r)), read: () => out.join('\n') }
    },
  },
  { name: 'stderr: default reporter, lost-context and late-query warnings, internal errors', shapesOnly: true, open: (run) => ({ read: () => run.stderr.join('') }) },
  {
    name: 'NPlusOneError message and stack',
    shapesOnly: true,
    open: (run) => ({ read: () => run.errors.map((e) => `${e.message}\n${e.stack}`).join('\n') }),
  },
  { name: 'NPlusOneError as JSON', open: (run) => ({ read: () => run.errors.map((e) => JSON.stringify({ ...e, findings: e.findings })).join('\n') }) },
  { name: 'capture() records and findings, as JSON', open: (run) => ({ read: () => run.captures.map((c) => JSON.stringify(c)).join('\n') }) },
  { name: 'onScopeEnd events, as JSON', open: (run) => ({ read: () => run.events.map((e) => JSON.stringify(e)).join('\n') }) },
  {
    name: 'baseline file',
    open: (run) => ({
      read: () => {
        // What N1GUARD_UPDATE_BASELINE=1 writes at exit, from this run's findings.
        const baseline = new Baseline(join(run.dir, 'baseline.json'), { N1GUARD_UPDATE_BASELINE: '1' })
        for (const f of run.findings) baseline.check(f)
        baseline.write(0)
        return readFileSync(baseline.path, 'utf8')
      },
    }),
  },
]

/** Fails naming the output and showing where the secret sits, rather than printing the whole text. */
function expectAbsent(text: string, secret: string, where: string): void {
  const at = text.indexOf(secret)
  expect(at < 0, `${where} contains ${JSON.stringify(secret)}: …${text.slice(Math.max(0, at - 120), at + 60)}…`).toBe(true)
}

/** Every `sql` string anywhere in a JSON text: the shapes of records, findings, patterns, sources. */
function shapesIn(json: string): string[] {
  const shapes: string[] = []
  const visit = (text: string) =>
    JSON.parse(text, (key, value: unknown) => {
      if (key === 'sql' && typeof value === 'string') shapes.push(value)
      return value
    })
  try {
    visit(json)
  } catch {
    // JSON lines
    for (const line of json.split('\n')) if (line.startsWith('{')) visit(line)
  }
  return shapes
}

/** Runs a workload that reaches every output, with `captureParams` as given; returns each output's text. */
async function runWorkload(captureParams: boolean): Promise<Array<{ name: string; shapesOnly: boolean; text: string; shapes: string[] }>> {
  // n1guard says each internal error once per process: let this run say them again.
  resetInternalErrors()
  const run: Run = { stderr: [], errors: [], captures: [], events: [], findings: [], dir: mkdtempSync(join(tmpdir(), 'n1guard-leaks-')) }
  const opened = OUTPUTS.map((o) => ({ output: o, ...o.open(run) }))
  const reporters = opened.flatMap((o) => (o.reporter === undefined ? [] : [o.reporter]))
  const collect: Reporter = (r) => void run.findings.push(...r.findings)
  const base: DetectorOptions = {
    captureParams,
    maxQueries: 12,
    ignore: [
      (subject) => {
        // A buggy ignore rule: its error (with what it was shown) goes to stderr.
        throw new Error(`rule failed on ${JSON.stringify(subject)}`)
      },
    ],
  }
  const stopEvents = onScopeEnd((e) => void run.events.push(e))
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    run.stderr.push(String(chunk))
    return true
  })
  const pools: pg.Pool[] = []
  const kyselys: Kysely<PetShopDB>[] = []
  const wire = (detector: Detector) => {
    const pool = instrumentPool(db.pool({ max: 2 }), detector)
    const k = new Kysely<PetShopDB>({ dialect: instrumentDialect(new PostgresDialect({ pool: db.pool({ max: 1 }) }), detector) })
    pools.push(pool)
    kyselys.push(k)
    return { pool, k }
  }

  async function workload(pool: pg.Pool, k: Kysely<PetShopDB>): Promise<void> {
    const owners = await pool.query<{ id: number; email: string }>('select id, email from person order by id')
    for (const { id } of owners.rows) await pool.query('select * from pet where owner_id = $1 and name <> $2', [id, PARAM_SECRET])
    for (let i = 0; i < 3; i++) {
      await pool.query('select * from person where email = $1 and id > $2', [PARAM_SECRET, i])
      await pool.query(`select * from person where email = '${INLINE_SECRET}' and id > ${i}`)
      await k.selectFrom('person').selectAll().where('email', '=', `${PARAM_SECRET}${i}`).execute()
      await sql`select * from toy where name = ${sql.lit(`${INLINE_SECRET}-${i}`)}`.execute(k)
    }
    // Duplicates, and errors whose messages quote the values.
    for (let i = 0; i < 2; i++) await pool.query('select * from person where name = $1', [PARAM_SECRET])
    await pool.query('select * from person where id = $1', [PARAM_SECRET]).catch(() => undefined)
    await pool.query(`select * from person where id = '${INLINE_SECRET}'`).catch(() => undefined)
    await k.selectFrom('person').selectAll().where('id', '=', PARAM_SECRET as unknown as number).execute().catch(() => undefined)
  }

  try {
    // 'warn' mode: every reporter, plus one that throws with the JSON of what it was given.
    const throwing: Reporter = function leakyReporter(r) {
      throw new Error(`reporter failed on ${JSON.stringify(r)}`)
    }
    const warn = createDetector({ ...base, reporters: [...reporters, collect, throwing] })
    const w = wire(warn)
    await warn.run('GET /people', () => workload(w.pool, w.k))
    run.captures.push(await warn.capture(() => workload(w.pool, w.k)))

    // n1guard's own failure: reading a parameter throws once (n1guard reads first: a shape's
    // repeat has its values hashed when it is issued), then the secret.
    let reads = 0
    const hostile: unknown[] = []
    Object.defineProperty(hostile, 0, {
      enumerable: true,
      get: () => {
        if (reads++ === 0) throw new Error('parameter read failed')
        return PARAM_SECRET
      },
    })
    await warn.run('hostile parameters', async () => {
      await w.pool.query('select $1::text as v', ['first run'])
      await w.pool.query('select $1::text as v', hostile)
    })
    expect(reads).toBe(2)

    // Lost context and fire-and-forget, while a scope is open.
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => (release = resolve))
    const detached = gate.then(() => w.pool.query('select * from person where email = $1', [PARAM_SECRET]))
    let late: Promise<unknown> = Promise.resolve()
    await warn.run('POST /orders', async () => {
      release()
      await detached
      late = w.pool.query(`select pg_sleep(0.01), '${INLINE_SECRET}' as x, $1::text as y`, [PARAM_SECRET])
    })
    await late

    // 'throw' mode and assertNoNPlusOne: NPlusOneError.
    const thrower = createDetector({ ...base, mode: 'throw', reporters: [...reporters, collect] })
    const t = wire(thrower)
    for (const attempt of [() => thrower.run('job', () => workload(t.pool, t.k)), () => thrower.assertNoNPlusOne(() => workload(t.pool, t.k))]) {
      const error = await attempt().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(NPlusOneError)
      run.errors.push(error as NPlusOneError)
      run.findings.push(...(error as NPlusOneError).findings)
    }

    // The default reporter, on stderr.
    const plain = createDetector({ captureParams })
    const p = wire(plain)
    await plain.run('GET /default', () => workload(p.pool, p.k))
  } finally {
    write.mockRestore()
    stopEvents()
    await Promise.allSettled([...kyselys.map((k) => k.destroy()), ...pools.map((pool) => pool.end())])
  }

  try {
    return opened.map(({ output, read }) => {
      const text = read()
      return { name: output.name, shapesOnly: output.shapesOnly === true, text, shapes: output.shapesOnly === true ? [] : shapesIn(text) }
    })
  } finally {
    rmSync(run.dir, { recursive: true, force: true })
  }
}

describe.each([false, true])('captureParams: %s', (captureParams) => {
  let outputs: Awaited<ReturnType<typeof runWorkload>>

  beforeAll(async () => {
    outputs = await runWorkload(captureParams)
  })

  test('every output got something to say', () => {
    for (const o of outputs) expect(o.text.length, o.name).toBeGreaterThan(0)
    const stderr = outputs.find((o) => o.name.startsWith('stderr'))!.text
    // The workload reached every path it is meant to.
    expect(stderr).toContain('N+1 query')
    expect(stderr).toContain('outside any scope')
    expect(stderr).toContain('after the scope ended')
    expect(stderr).toContain('internal error while recording the start of a query')
    expect(stderr).toContain('internal error while running reporter leakyReporter')
    expect(stderr).toContain('internal error while evaluating an ignore rule')
    const json = outputs.filter((o) => !o.shapesOnly).map((o) => o.text).join('\n')
    for (const kind of ['"n-plus-one"', '"duplicate"', '"query-budget"', '"source"', '"error"']) expect(json).toContain(kind)
  })

  test.each(OUTPUTS.map((o) => o.name))('%s: inlined literals are masked in every shape', (name) => {
    const o = outputs.find((x) => x.name === name)!
    if (o.shapesOnly) {
      expectAbsent(o.text, INLINE_SECRET, name)
    } else {
      expect(o.shapes.length, name).toBeGreaterThan(0)
      for (const shape of o.shapes) expectAbsent(shape, 'sentinel-', `a shape in ${name}`)
    }
  })

  if (!captureParams) {
    test.each(OUTPUTS.map((o) => o.name))('%s: no secret at all', (name) => {
      const text = outputs.find((x) => x.name === name)!.text
      for (const secret of SECRETS) expectAbsent(text, secret, name)
    })
  } else {
    test('the opt-in works: parameter values are on records and findings, console lines still carry shapes only', () => {
      const captured = outputs.find((o) => o.name.startsWith('capture()'))!.text
      expect(captured.includes(PARAM_SECRET), 'capture() records carry params').toBe(true)
      expect(captured.includes('"sampleParams":[['), 'capture() findings carry sampleParams').toBe(true)
      // run() scopes too, not only capture() (records exist only there).
      const reported = outputs.find((o) => o.name.startsWith('reports handed'))!.text
      expect(reported.includes(`"sampleParams":[[${JSON.stringify(PARAM_SECRET)}`), 'reports of run() scopes carry sampleParams').toBe(true)
      // (stderr aside: the throwing reporter's own message quotes the report it was given.)
      for (const o of outputs.filter((x) => x.shapesOnly && !x.name.startsWith('stderr'))) expectAbsent(o.text, PARAM_SECRET, o.name)
    })
  }
})
