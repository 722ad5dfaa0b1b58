/**
 * Assertions on the queries a piece of code runs, for any test runner (`node:test`, Jest, Mocha,
 * Vitest): no N+1, a bounded number of statements, and a number of statements that does not grow
 * with the number of rows.
 *
 * @example
 * import { assertNoNPlusOne, assertQueryCount, assertConstantQueries } from 'n1guard/testing'
 * await assertNoNPlusOne(() => listPeopleWithPets(db))
 * await assertQueryCount(() => listPeopleWithPets(db), { max: 2 })
 * await assertConstantQueries((n, trx) => listPeopleWithPets(trx), { db, seed: insertPeople })
 * @module n1guard/testing
 */
export { NPlusOneError } from '../core/errors.js'
export { assertConstantQueries, type AssertConstantQueriesOptions } from './assert-constant-queries.js'
export { assertNoNPlusOne, type AssertNoNPlusOneOptions } from './assert-no-n-plus-one.js'
export { assertQueryCount, type AssertQueryCountOptions } from './assert-query-count.js'
export type { CountRule, QueryCountExpectation, QueryCounts, QueryGroup } from './query-count.js'
export { QueryCountError, type ScaleCounts } from './query-count-error.js'
export type { KyselyLike, PgClientLike, PgPoolLike, TransactionalDatabase, TransactionOf } from './transaction.js'
export type { WatchOptions } from './watch.js'
