// The query advisor on a real PostgreSQL: missing-index (catalog + EXPLAIN on a connection of its
// own), deep-offset, unbounded-select and checkSchema, each found, and each near miss left alone.
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createDetector, type Finding } from '../../src/index.js'
import { instrumentDialect } from '../../src/kysely/index.js'
import { instrumentPool } from '../../src/pg/index.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'
import { only } from '../support/findings.js'
import { onSchema } from '../support/schema-path.js'
import { siteOf } from '../support/sites.js'
import { stderrOf } from '../support/stderr.js'

const here = import.meta.url
let db: TestDatabase
let admin: pg.Pool

interface AdvisorDB {
  note: { id: number; person_id: number; body: string; slug: string; a: number; b: number }
}

const kinds = (findings: readonly Finding[]) => findings.map((f) => f.kind).sort()

beforeAll(async () => {
  db = await createTestDatabase({ people: 12, petsPerPerson: 1, toysPerPet: 0 })
  admin = db.pool({ max: 1 })
  // note.person_id: a foreign key on purpose without an index; a and b: a two-column index;
  // slug: a unique constraint. bulk: enough rows for the unbounded-select rule.
  await admin.query(`
    create table note (id serial primary key, person_id integer not null references person(id), body text not null,
                       slug text not null unique, a integer not null, b integer not null);
    create index note_a_b on note (a, b);
    insert into note (person_id, body, slug, a, b)
      select 1 + (i % 12), 'note ' || i, 'slug-' || i, i % 50, i % 7 from generate_series(1, 3000) i;
    create table bulk (id serial primary key, v integer not null);
    insert into bulk (v) select i from generate_series(1, 1500) i;
    analyze note; analyze bulk;
  `)
})

afterAll(async () => {
  await db.drop()
})

describe('missing-index', () => {
  test('a loop filtering on an unindexed foreign key: table, column, loop, plan node and the create index statement', async () => {
    const detector = createDetector({ mode: 'silent' })
    const pool = instrumentPool(db.pool({ max: 2 }), detector)
    const { findings, queries } = await detector.capture(async () => {
      for (let person = 1; person <= 5; person++) {
        await pool.query('select * from note where person_id = $1', [person]) // @site:fk-loop
      }
    })
    // The catalog reads and EXPLAIN ran on the advisor's own client, not in the scope.
    expect(queries).toHaveLength(5)
    const loop = only(findings, 'n-plus-one')
    const f = only(findings, 'missing-index')
    expect(f.index).toEqual({
      table: 'note',
      columns: ['person_id'],
      createIndex: 'create index concurrently note_person_id_idx on note (person_id);',
      planNode: 'Seq Scan on note',
    })
    expect(f.callSite).toMatchObject(siteOf(here, 'fk-loop'))
    expect(f.callSite).toEqual(loop.callSite)
    expect(f.count).toBe(5)
    expect(f.fingerprint).toBe(loop.fingerprint)
    expect(f.hint).toContain('create index concurrently note_person_id_idx on note (person_id);')
    expect(f.hint).toContain('Seq Scan on note')
    // Advice never fails a test by itself: only N+1s do.
    await expect(detector.assertNoNPlusOne(() => pool.query('select * from note where person_id = $1', [1]))).resolves.toBeDefined()
  })

  test('through Kysely, with the pool handed to the advisor', async () => {
    const pool = db.pool({ max: 2 })
    const detector = createDetector({ mode: 'silent', advisor: { database: pool } })
    const k = new Kysely<AdvisorDB>({ dialect: instrumentDialect(new PostgresDialect({ pool }), detector) })
    const { findings } = await detector.capture(async () => {
      for (let person = 1; person <= 3; person++) {
        await k.selectFrom('note').select(['id', 'body']).where('note.person_id', '=', person).execute() // @site:kysely-loop
      }
    })
    const f = only(findings, 'missing-index')
    expect(f.index?.columns).toEqual(['person_id'])
    expect(f.index?.planNode).toBe('Seq Scan on note')
    expect(f.callSite).toMatchObject(siteOf(here, 'kysely-loop'))
  })

  test('index present in another form: the leading column of a two-column index, the primary key, a unique constraint', async () => {
    const detector = createDetector({ mode: 'silent' })
    const pool = instrumentPool(db.pool({ max: 2 }), detector)
    const { findings } = await detector.capture(async () => {
      for (let i = 1; i <= 4; i++) {
        await pool.query('select * from note where a = $1', [i])
        await pool.query('select * from note where id = $1', [i])
        await pool.query('select * from note where slug = $1', [`slug-${i}`])
        await pool.query('select t.name from pet p join toy t on t.pet_id = p.id where p.id = $1', [i])
      }
    })
    expect(findings.filter((f) => f.kind === 'n-plus-one').length).toBeGreaterThan(0)
    expect(findings.filter((f) => f.kind === 'missing-index')).toEqual([])
  })

  test('a join from the filtered table to an unindexed column: the joined table needs the index', async () => {
    const detector = createDetector({ mode: 'silent' })
    const pool = instrumentPool(db.pool({ max: 1 }), detector)
    const { findings } = await detector.capture(async () => {
      for (let i = 1; i <= 3; i++) await pool.query('select n.body from person p join note n on n.person_id = p.id where p.id = $1', [i])
    })
    expect(only(findings, 'missing-index').index).toEqual({
      table: 'note',
      columns: ['person_id'],
      createIndex: 'create index concurrently note_person_id_idx on note (person_id);',
      planNode: 'Seq Scan on note',
    })
  })

  test('the second column of a two-column index is not indexed by it', async () => {
    const detector = createDetector({ mode: 'silent' })
    const pool = instrumentPool(db.pool({ max: 2 }), detector)
    const { findings } = await detector.capture(async () => {
      for (let i = 1; i <= 3; i++) await pool.query('select id from note where b = $1', [i])
    })
    expect(only(findings, 'missing-index').index?.createIndex).toBe('create index concurrently note_b_idx on note (b);')
  })

  test('a shape run once is no loop; missingIndex: false and catalog: false turn it off', async () => {
    for (const advisor of [{ missingIndex: false }, { catalog: false }] as const) {
      const detector = createDetector({ mode: 'silent', advisor })
      const pool = instrumentPool(db.pool({ max: 1 }), detector)
      const { findings } = await detector.capture(async () => {
        for (let i = 1; i <= 3; i++) await pool.query('select * from note where person_id = $1', [i])
      })
      expect(kinds(findings)).toEqual(['n-plus-one'])
    }
    const detector = createDetector({ mode: 'silent' })
    const pool = instrumentPool(db.pool({ max: 1 }), detector)
    const { findings } = await detector.capture(() => pool.query('select * from note where person_id = $1', [1]))
    expect(findings).toEqual([])
  })

  test('explain: false reports from the catalog alone, without a plan node', async () => {
    const detector = createDetector({ mode: 'silent', advisor: { explain: false } })
    const pool = instrumentPool(db.pool({ max: 1 }), detector)
    const { findings } = await detector.capture(async () => {
      for (let i = 1; i <= 3; i++) await pool.query('select * from note where person_id = $1', [i])
    })
    const f = only(findings, 'missing-index')
    expect(f.index?.planNode).toBeUndefined()
    expect(f.index?.columns).toEqual(['person_id'])
  })

  test('DDL that goes by refreshes the cached catalog: after create index, no finding', async () => {
    const detector = createDetector({ mode: 'silent' })
    const pool = instrumentPool(db.pool({ max: 1 }), detector)
    const loop = async () => {
      for (let i = 1; i <= 3; i++) await pool.query('select * from bulk where v = $1', [i])
    }
    expect(only((await detector.capture(loop)).findings, 'missing-index').index?.columns).toEqual(['v'])
    // Outside any scope, through the instrumented pool: n1guard sees the DDL go by.
    await pool.query('create index bulk_v_idx on bulk (v)')
    expect(kinds((await detector.capture(loop)).findings)).toEqual(['n-plus-one'])
    await pool.query('drop index bulk_v_idx')
    expect(kinds((await detector.capture(loop)).findings)).toEqual(['missing-index', 'n-plus-one'])
  })

  test('run() scopes: the first one starts the lookup, the scopes after it report from the cached facts', async () => {
    const seen: Finding[][] = []
    const detector = createDetector({ reporters: [(r) => seen.push([...r.findings])] })
    const pool = instrumentPool(db.pool({ max: 1 }), detector)
    const handler = async () => {
      for (let i = 1; i <= 3; i++) await pool.query('select body from note where person_id = $1 and b = $2', [i, 1])
    }
    // A scope ended by hand can wait for the lookups before it ends (the Vitest guard does).
    const scope = detector.startScope('GET /notes')
    await scope.run(handler)
    await scope.settle()
    const first = scope.end()
    expect(only(first, 'missing-index').index?.columns).toEqual(['person_id', 'b'])
    await detector.run('GET /notes', handler)
    expect(kinds(seen[1]!)).toEqual(['missing-index', 'n-plus-one'])
  })

  test('the pool\'s only connection held in a transaction: the advisor reads on its own client, nothing waits, nothing is recorded', async () => {
    const detector = createDetector({ mode: 'silent' })
    const pool = instrumentPool(db.pool({ max: 1 }), detector)
    const client = await pool.connect()
    try {
      const { findings, queries } = await detector.capture(async () => {
        await client.query('begin')
        for (let i = 1; i <= 3; i++) await client.query('select * from note where person_id = $1', [i])
        await client.query('rollback')
      })
      expect(queries.map((q) => q.kind)).toEqual(['transaction', 'select', 'select', 'select', 'transaction'])
      expect(only(findings, 'missing-index').index?.planNode).toBe('Seq Scan on note')
    } finally {
      client.release()
    }
  })

  test('in production (NODE_ENV not development or test) run() scopes read no catalog unless asked; capture() and catalog: true do', async () => {
    const saved = process.env.NODE_ENV
    process.env.NODE_ENV = 'production'
    try {
      const seen: Finding[][] = []
      const prod = createDetector({ reporters: [(r) => seen.push([...r.findings])] })
      const forced = createDetector({ reporters: [(r) => seen.push([...r.findings])], advisor: { catalog: true } })
      process.env.NODE_ENV = saved
      const pool = instrumentPool(db.pool({ max: 1 }), prod)
      const loop = async () => {
        for (let i = 1; i <= 3; i++) await pool.query('select id from note where person_id = $1', [i])
      }
      for (let i = 0; i < 2; i++) {
        const scope = prod.startScope('GET /notes')
        await scope.run(loop)
        await scope.settle()
        expect(kinds(scope.end())).toEqual(['n-plus-one'])
      }
      expect(kinds((await prod.capture(loop)).findings)).toEqual(['missing-index', 'n-plus-one'])
      const pool2 = instrumentPool(db.pool({ max: 1 }), forced)
      const scope = forced.startScope('GET /notes')
      await scope.run(async () => {
        for (let i = 1; i <= 3; i++) await pool2.query('select id from note where person_id = $1', [i])
      })
      await scope.settle()
      expect(kinds(scope.end())).toEqual(['missing-index', 'n-plus-one'])
    } finally {
      process.env.NODE_ENV = saved
    }
  })

  test('a role that may not EXPLAIN the table: said once, no finding, the queries unharmed', async () => {
    const role = `n1g_ro_${randomBytes(4).toString('hex')}`
    await admin.query(`create role ${role} login password 'ro'; grant usage on schema ${db.schema} to ${role}`)
    try {
      const url = new URL(db.url)
      url.username = role
      url.password = 'ro'
      const replica = onSchema(new pg.Pool({ connectionString: url.toString(), options: `-c search_path=${db.schema}`, max: 1 }), db.schema)
      const detector = createDetector({ mode: 'silent', advisor: { database: replica } })
      const pool = instrumentPool(db.pool({ max: 1 }), detector)
      const loop = async () => {
        const rows: number[] = []
        for (let i = 1; i <= 3; i++) rows.push((await pool.query('select * from note where person_id = $1', [i])).rowCount ?? -1)
        return rows
      }
      const { value, stderr } = await stderrOf(async () => [await detector.capture(loop), await detector.capture(loop)])
      for (const report of value) {
        expect(report.result).toEqual([250, 250, 250])
        expect(kinds(report.findings)).toEqual(['n-plus-one'])
      }
      expect(stderr.match(/n1guard advisor: could not EXPLAIN/g)).toHaveLength(1)
      expect(stderr).toContain('permission denied')
      await replica.end()
    } finally {
      await admin.query(`revoke usage on schema ${db.schema} from ${role}; drop role ${role}`)
    }
  })

  test("a schema picked in the pool's connect listener: the advisor's own client is set up by it too, and told when it leaves", async () => {
    // The common setup `pool.on('connect', (c) => c.query('set search_path to app'))`, with no
    // `options` on the pool: a client made from the pool's options alone would look for `memo`
    // in the server's default schema, where it is not.
    const schema = `adv_sp_${randomBytes(4).toString('hex')}`
    await admin.query(`create schema ${schema}; create table ${schema}.memo (id serial primary key, owner_id integer not null, body text not null);
      insert into ${schema}.memo (owner_id, body) select 1 + (i % 20), 'memo ' || i from generate_series(1, 2000) i; analyze ${schema}.memo;`)
    const connected: unknown[] = []
    const removed: unknown[] = []
    const raw = new pg.Pool({ connectionString: db.url, max: 2 })
    raw.on('connect', (client) => {
      connected.push(client)
      void client.query(`set search_path to ${schema}`)
    })
    raw.on('remove', (client) => removed.push(client))
    // pg-pool's own checkouts: the application's clients, told from the advisor's.
    const checkedOut = new Set<unknown>()
    raw.on('acquire', (client) => checkedOut.add(client))
    try {
      const detector = createDetector({ mode: 'silent' })
      const pool = instrumentPool(raw, detector)
      const { findings } = await detector.capture(async () => {
        for (let owner = 1; owner <= 4; owner++) await pool.query('select * from memo where owner_id = $1', [owner])
      })
      expect(only(findings, 'missing-index').index).toMatchObject({ table: 'memo', columns: ['owner_id'], planNode: 'Seq Scan on memo' })
      // The application's one client and the advisor's (one per batch of catalog work): all heard
      // of, and each of the advisor's heard leave once its work is done.
      const advisors = connected.filter((c) => !checkedOut.has(c))
      expect(checkedOut.size).toBe(1)
      expect(advisors.length).toBeGreaterThanOrEqual(1)
      await expect.poll(() => removed.length).toBe(advisors.length)
      expect(new Set(removed)).toEqual(new Set(advisors))
    } finally {
      await raw.end()
      await admin.query(`drop schema ${schema} cascade`)
    }
  })

  test('a database the advisor cannot reach: said once, no finding, nothing thrown', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port
        s.close(() => resolve(p))
      })
    })
    const gone = new pg.Pool({ host: '127.0.0.1', port, user: 'nobody', database: 'none' })
    const detector = createDetector({ mode: 'silent', advisor: { database: gone } })
    const pool = instrumentPool(db.pool({ max: 1 }), detector)
    const loop = async () => {
      for (let i = 1; i <= 3; i++) await pool.query('select * from note where person_id = $1', [i])
    }
    const { value, stderr } = await stderrOf(async () => [await detector.capture(loop), await detector.capture(loop)])
    for (const report of value) expect(kinds(report.findings)).toEqual(['n-plus-one'])
    expect(stderr.match(/n1guard advisor: could not/g)).toHaveLength(1)
  })
})

describe('deep-offset', () => {
  test('an OFFSET bound as a parameter past the threshold: found with the keyset rewrite, the value never shown', async () => {
    const detector = createDetector({ mode: 'silent' })
    const pool = instrumentPool(db.pool({ max: 1 }), detector)
    const { findings } = await detector.capture(() => pool.query('select id from note order by id limit $1 offset $2', [20, 2987])) // @site:offset
    const f = only(findings, 'deep-offset')
    expect(f.callSite).toMatchObject(siteOf(here, 'offset'))
    expect(f.hint).toContain('where (created_at, id) < ($1, $2) order by created_at desc, id desc limit $3')
    expect(f.hint).toContain("eb.refTuple('created_at', 'id')")
    expect(JSON.stringify(f)).not.toContain('2987')
  })

  test('a literal OFFSET, and the threshold option', async () => {
    const detector = createDetector({ mode: 'silent', advisor: { deepOffset: 100 } })
    const pool = instrumentPool(db.pool({ max: 1 }), detector)
    const { findings } = await detector.capture(async () => {
      await pool.query('select id from note order by id limit 10 offset 150')
      await pool.query('select id from note order by id limit 10 offset 99')
    })
    expect(only(findings, 'deep-offset').count).toBe(1)
  })

  test('a small offset, an offset inside a subquery, and deepOffset: false are left alone', async () => {
    const detector = createDetector({ mode: 'silent' })
    const pool = instrumentPool(db.pool({ max: 1 }), detector)
    const { findings } = await detector.capture(async () => {
      await pool.query('select id from note order by id limit $1 offset $2', [20, 40])
      await pool.query('select count(*) from (select id from note order by id offset 2000) t')
    })
    expect(findings).toEqual([])
    const off = createDetector({ mode: 'silent', advisor: { deepOffset: false } })
    const pool2 = instrumentPool(db.pool({ max: 1 }), off)
    const report = await off.capture(() => pool2.query('select id from note order by id limit 5 offset 2000'))
    expect(report.findings).toEqual([])
  })
})

describe('unbounded-select', () => {
  test('a SELECT without LIMIT that returned more rows than the threshold: call site and row count', async () => {
    const detector = createDetector({ mode: 'silent' })
    const pool = instrumentPool(db.pool({ max: 1 }), detector)
    const { findings } = await detector.capture(() => pool.query('select * from bulk')) // @site:unbounded
    const f = only(findings, 'unbounded-select')
    expect(f.rowCount).toBe(1500)
    expect(f.callSite).toMatchObject(siteOf(here, 'unbounded'))
    expect(f.hint).toContain('1500 rows')
  })

  test('a bounded select, a small result and unboundedSelect: false are left alone', async () => {
    const detector = createDetector({ mode: 'silent' })
    const pool = instrumentPool(db.pool({ max: 1 }), detector)
    const { findings } = await detector.capture(async () => {
      await pool.query('select * from bulk limit 2000')
      await pool.query('select * from bulk order by id fetch first 1200 rows only')
      await pool.query('select * from bulk where id <= 1000')
    })
    expect(findings).toEqual([])
    const off = createDetector({ mode: 'silent', advisor: { unboundedSelect: false } })
    const pool2 = instrumentPool(db.pool({ max: 1 }), off)
    expect((await off.capture(() => pool2.query('select * from bulk'))).findings).toEqual([])
    const higher = createDetector({ mode: 'silent', advisor: { unboundedSelect: 2000 } })
    const pool3 = instrumentPool(db.pool({ max: 1 }), higher)
    expect((await higher.capture(() => pool3.query('select * from bulk'))).findings).toEqual([])
  })
})

describe('checkSchema', () => {
  test('lists foreign keys no index leads with, with the create index statement', async () => {
    const detector = createDetector({ mode: 'silent', advisor: false })
    const fks = await detector.checkSchema(db.pool({ max: 1 }))
    expect(fks).toEqual([
      {
        table: 'note',
        columns: ['person_id'],
        references: 'person',
        constraint: 'note_person_id_fkey',
        createIndex: 'create index concurrently note_person_id_idx on note (person_id);',
      },
    ])
  })

  test('rejects what is not a pool', async () => {
    const detector = createDetector()
    await expect(detector.checkSchema({} as never)).rejects.toThrow(TypeError)
  })
})

describe('options', () => {
  test('bad advisor options throw a TypeError naming the value', () => {
    expect(() => createDetector({ advisor: { deepOffset: -1 } })).toThrow(/advisor\.deepOffset.*-1/)
    expect(() => createDetector({ advisor: { missingIndex: 1 } })).toThrow(/advisor\.missingIndex/)
    expect(() => createDetector({ advisor: { explain: 'yes' as never } })).toThrow(/advisor\.explain.*"yes"/)
    expect(() => createDetector({ advisor: { nope: 1 } as never })).toThrow(/unknown advisor option "nope"/)
    expect(() => createDetector({ advisor: 'on' as never })).toThrow(/option `advisor`/)
    expect(() => createDetector({ advisor: { database: {} as never } })).toThrow(/advisor\.database/)
  })
})
