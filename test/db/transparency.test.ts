// No parameter value in any output unless asked for (results and errors: transparency-matrix.test.ts).
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { consoleReporter, createDetector, NPlusOneError, type Detector } from '../../src/index.js'
import { instrumentPool } from '../../src/pg/index.js'
import { createTestDatabase, type TestDatabase } from '../support/db.js'

let db: TestDatabase

beforeAll(async () => {
  db = await createTestDatabase({ people: 5 })
})

afterAll(async () => {
  await db.drop()
})

describe('parameter values never leave the process by default', () => {
  const SECRET = 'sentinel-7f3a-secret@example.test'

  async function everyOutput(detector: Detector, pool: pg.Pool, out: string[]): Promise<string> {
    const texts: string[] = []
    const report = await detector.capture(async () => {
      for (let i = 0; i < 3; i++) {
        await pool.query('select * from person where email = $1 and id > $2', [SECRET, i])
        await pool.query(`select * from person where email = '${SECRET}' and id > ${i}`)
        await pool.query('select * from person where email = $1', [SECRET])
      }
      await pool.query('select * from person where id = $1', [SECRET]).catch(() => undefined)
    })
    texts.push(JSON.stringify(report))
    try {
      await detector.assertNoNPlusOne(async () => {
        for (let i = 0; i < 3; i++) await pool.query('select * from person where email = $1 and id > $2', [SECRET, i])
      })
    } catch (error) {
      expect(error).toBeInstanceOf(NPlusOneError)
      texts.push(String((error as Error).message), String((error as Error).stack), JSON.stringify(error))
    }
    await detector.run('warned', async () => {
      for (let i = 0; i < 3; i++) await pool.query(`select * from person where email = '${SECRET}' and id > $1`, [i])
    })
    texts.push(out.join(''))
    return texts.join('\n')
  }

  test('not in records, findings, errors or console warnings', async () => {
    const out: string[] = []
    const detector = createDetector({ reporters: [consoleReporter({ stream: { write: (s: string) => out.push(s) } })] })
    const pool = instrumentPool(db.pool({ max: 2 }), detector)
    const all = await everyOutput(detector, pool, out)
    expect(out.join('')).toContain('N+1 query')
    expect(all).toContain('where email = ?')
    expect(all).not.toContain('sentinel-7f3a')
  })

  test('with captureParams the values are on records, but inlined literals stay masked in shapes', async () => {
    const detector = createDetector({ mode: 'silent', captureParams: true })
    const pool = instrumentPool(db.pool({ max: 2 }), detector)
    const report = await detector.capture(async () => {
      for (let i = 0; i < 2; i++) {
        await pool.query('select * from person where email = $1 and id > $2', [SECRET, i])
        await pool.query(`select * from person where name = '${SECRET}' and id > ${i}`)
      }
    })
    expect(report.queries[0]!.params).toEqual([SECRET, 0])
    expect(report.findings[0]!.sampleParams?.[0]).toEqual([SECRET, 0])
    expect(report.queries.map((q) => q.sql).join('\n')).not.toContain(SECRET)
    expect(report.findings.map((f) => f.sql).join('\n')).not.toContain(SECRET)
  })
})
