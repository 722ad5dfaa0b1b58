import { expect, test } from 'vitest'
import { createTestDatabase } from '../support/db.js'

test('the test database is real PostgreSQL with the pet-shop rows', async () => {
  const db = await createTestDatabase({ people: 3 })
  try {
    const pool = db.pool()
    const { rows } = await pool.query('select count(*)::int as n from pet')
    expect(rows[0].n).toBe(6)
    const version = await pool.query('show server_version')
    expect(version.rows[0].server_version).toMatch(/^\d+/)
  } finally {
    await db.drop()
  }
})
