import { portOf, type OrmName } from '../core/capture-port.js'

/**
 * Names the ORM an instrumented pool or client serves, so its findings' fix hints speak that ORM's
 * API. The first ORM named wins. @internal
 */
export function tagOrm(target: object, orm: OrmName): void {
  const port = portOf(target)
  if (port !== undefined) port.orm ??= orm
}
