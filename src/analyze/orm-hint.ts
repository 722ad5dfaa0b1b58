import { takesList } from './hint-facts.js'
import type { CandidateBase, OrmName } from './types.js'

function bare(name: string | undefined): string | undefined {
  if (name === undefined) return undefined
  const dot = name.lastIndexOf('.')
  return dot >= 0 ? name.slice(dot + 1) : name
}

interface Words {
  /** The batched query, keyed on `col` with an array `ids`. */
  readonly batch: (table: string, col: string) => string
  /** Loading the rows with their parents, in the ORM's eager-loading words. */
  readonly eager: (table: string, parent: string | undefined) => string
}

const WORDS: Record<OrmName, Words> = {
  drizzle: {
    batch: (t, col) => `db.select().from(${t}).where(inArray(${t}.${col}, ids))`,
    eager: (t, p) => `the relational query API, db.query.${p ?? '<parent>'}.findMany({ with: { <${t} relation>: true } })`,
  },
  prisma: {
    batch: (t, col) => `prisma.${t}.findMany({ where: { ${col}: { in: ids } } })`,
    eager: (t) => `include: { <${t} relation>: true } (relationLoadStrategy: 'join' makes it one statement)`,
  },
  typeorm: {
    batch: (t, col) => `find({ where: { ${col}: In(ids) } }) on the ${t} repository`,
    eager: (t) => `relations: { <${t} relation>: true } in find(), or .leftJoinAndSelect() in a query builder`,
  },
  'mikro-orm': {
    batch: (t, col) => `em.find(<${t} entity>, { ${col}: { $in: ids } })`,
    eager: (t) => `populate: ['<${t} relation>'] in the first find`,
  },
  sequelize: {
    batch: (t, col) => `findAll({ where: { ${col}: ids } }) on the ${t} model (an array becomes IN)`,
    eager: (t) => `include: [<${t} model>] in the first findAll`,
  },
  knex: {
    batch: (t, col) => `knex('${t}').whereIn('${col}', ids)`,
    eager: (t) => `a join on ${t}`,
  },
}

/**
 * A select loop's fix hint in the words of the ORM that ran it: its eager loading (Drizzle's
 * relational `with`, Prisma's `include`, TypeORM's `relations` / `leftJoinAndSelect`, MikroORM's
 * `populate`, Sequelize's `include`) or its batched query (`inArray`, `{ in: ids }`, `In(ids)`,
 * `$in`, an array, `whereIn`). A loop whose query takes a list already is told to run it once.
 *
 * @example
 * ormSelectHint(candidate, 'knex', 'author_id', 'book')
 * // "collect author.id from the first query, then load every book row in one query: knex('book').whereIn('author_id', ids) ..."
 */
export function ormSelectHint(c: CandidateBase, orm: OrmName, column: string | undefined, table: string | undefined): string {
  const words = WORDS[orm]
  const t = table ?? 'table'
  const parent = bare(c.source?.tables[0])
  const from = c.source === undefined ? '' : `collect ${parent ?? 'the'}.${c.source.column} from the first query, then `
  if (column === undefined) {
    return `load every ${t} row in one query instead of one per row: ${words.eager(t, parent)}`
  }
  const rows = c.singleRow ? `the ${t} rows` : `every ${t} row`
  // Lazy relation loaders (TypeORM's) and DataLoaders issue `in (...)` with one key per row.
  const lead = takesList(c, column) ? `this query already takes a list (${column} in (...)) but runs once per row: ` : ''
  return `${lead}${from}load ${rows} in one query: ${words.batch(t, column)} and group by ${column} in memory, or load them with the first query: ${words.eager(t, parent)}`
}
