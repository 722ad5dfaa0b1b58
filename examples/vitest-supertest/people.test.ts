// A Vitest + supertest suite for the demo's Express + Kysely app (../demo/app.ts). With
// n1guard/vitest/setup in setupFiles, the first test fails: the request it sends runs an N+1,
// although the test itself says nothing about queries. The second is the same response from
// one query, and passes.
import pg from 'pg'
import request from 'supertest'
import { afterAll, describe, expect, inject, test } from 'vitest'
import { createDetector } from 'n1guard'
import 'n1guard/vitest' // the matchers' types (the setup file installed them already)
import { createApp } from '../demo/app.js'

const pool = new pg.Pool({ connectionString: inject('databaseUrl'), max: 4 })
const detector = createDetector() // also warns on the console
const { app, db } = createApp(pool, detector)

afterAll(async () => {
  await db.destroy()
})

describe('GET /people/slow', () => {
  test('lists everyone with their pets (fails: the route runs an N+1)', async () => {
    const response = await request(app).get('/people/slow').expect(200)
    expect(response.body).toHaveLength(5)
  })
})

describe('GET /people/fast', () => {
  test('lists everyone with their pets', async () => {
    const response = await request(app).get('/people/fast').expect(200)
    expect(response.body).toHaveLength(5)
    expect(response.body[0].pets).toHaveLength(2)
  })

  test('runs one query, however many people there are', async () => {
    await expect(() => request(app).get('/people/fast').expect(200)).toRunQueries({ exact: 1 })
  })
})
