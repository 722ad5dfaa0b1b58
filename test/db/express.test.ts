// Express middleware: one scope per request, named by route pattern, on a real server.
import express from 'express'
import { afterAll, beforeAll, describe } from 'vitest'
import { expressMiddleware } from '../../src/http/express.js'
import { FrameworkFixture, frameworkTests, peopleFast, peopleSlow, queriesThenThrow } from '../support/http.js'

const fx = new FrameworkFixture()

beforeAll(async () => {
  const db = await fx.open()
  const app = express()
  app.use(expressMiddleware(fx.detector))
  // Routes in a router mounted at /api: the scope name joins baseUrl and the route's path.
  const api = express.Router()
  api.get('/people/:limit/slow', async (req, res) => {
    res.json(await peopleSlow(db, Number(req.params.limit)))
  })
  api.get('/people/:limit/fast', async (req, res) => {
    res.json(await peopleFast(db, Number(req.params.limit)))
  })
  api.get('/boom', async () => await queriesThenThrow(db, [1, 2]))
  api.get('/wait/people', async (_req, res) => {
    res.json(await fx.gate.run())
  })
  app.use('/api', api)
  app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ error: error.message })
  })
  await fx.serve(app.listen(0, '127.0.0.1'))
})

afterAll(() => fx.close())

describe('expressMiddleware', () => {
  frameworkTests(fx, '/api')
})
