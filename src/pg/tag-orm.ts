import type { OrmName } from '../analyze/index.js'
import { watchersOf } from './instrument-client.js'

/**
 * Names the ORM an instrumented pool or client serves, so its findings' fix hints speak that ORM's
 * API. The first ORM named wins. @internal
 */
export function tagOrm(target: object, orm: OrmName): void {
  const w = watchersOf(target)
  if (w !== undefined) w.orm ??= orm
}
