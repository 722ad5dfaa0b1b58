// Golden outputs of sqlInfo, pinned before the fingerprint code was optimised, so that any
// rewrite of the tokenizer, normaliser or statement reader is proven to give the same id, shape,
// kind, tables, filters and literal key. Change an entry only when the output is meant to change.
//
// Beyond the entries below, the outputs for thousands of generated statements and the pg_query
// corpus are pinned twice: one line each in test/fixtures/fingerprint-golden-outputs.jsonl.gz (so
// a change prints the statements that changed, input, expected and actual) and a digest of those
// lines (so the fixture cannot drift). When an output is meant to change, regenerate the fixture
// with UPDATE_FINGERPRINT_GOLDEN=1 npx vitest run test/unit/fingerprint-golden.test.ts, review the
// printed differences first, and update DIGEST.
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { gunzipSync, gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { clearFingerprintCache, sqlInfo, type SqlInfo } from '../../src/fingerprint/index.js'
import { prng } from '../support/prng.js'

interface Golden {
  readonly sql: string
  readonly id: string
  readonly shape: string
  readonly kind: SqlInfo['kind']
  readonly tables: readonly string[]
  readonly filters: SqlInfo['filters']
  readonly literalKey: number
}

const GOLDEN: readonly Golden[] = [
  {
    sql: 'select * from "person" where "id" = $1',
    id: 'ce4353357b2fda8d',
    shape: 'select * from "person" where "id" = ?',
    kind: 'select',
    tables: ['person'],
    filters: [{ column: 'id', operator: '=', param: 1 }],
    literalKey: 0,
  },
  {
    sql: 'select "person"."id", "person"."name", "pet"."name" as "pet", "toy"."name" as "toy" from "person" inner join "pet" on "pet"."owner_id" = "person"."id" left join "toy" on "toy"."pet_id" = "pet"."id" where "person"."team_id" = $1 and ("pet"."species" = $2 or "toy"."name" like $3) order by "person"."id" limit $4 offset $5',
    id: '52ae1011eed7792b',
    shape: 'select "person"."id", "person"."name", "pet"."name" as "pet", "toy"."name" as "toy" from "person" inner join "pet" on "pet"."owner_id" = "person"."id" left join "toy" on "toy"."pet_id" = "pet"."id" where "person"."team_id" = ? and ("pet"."species" = ? or "toy"."name" like ?) order by "person"."id" limit ? offset ?',
    kind: 'select',
    tables: ['person', 'pet', 'toy'],
    filters: [
      { table: 'person', column: 'team_id', operator: '=', param: 1 },
      { table: 'pet', column: 'species', operator: '=', param: 2 },
      { table: 'toy', column: 'name', operator: 'like', param: 3 },
    ],
    literalKey: 0,
  },
  {
    sql: 'select * from "pet" where "owner_id" in ($1, $2, $3, $4, $5)',
    id: '0bce96a89b1c2ec8',
    shape: 'select * from "pet" where "owner_id" in (...)',
    kind: 'select',
    tables: ['pet'],
    filters: [{ column: 'owner_id', operator: 'in', param: 1 }],
    literalKey: 0,
  },
  {
    sql: 'insert into "toy" ("id", "pet_id", "name") values ($1, $2, $3), ($4, $5, $6) on conflict ("id") do update set "name" = "excluded"."name" returning "id"',
    id: '2f2be651aeedd6c6',
    shape: 'insert into "toy" ("id", "pet_id", "name") values (?, ?, ?) on conflict ("id") do update set "name" = "excluded"."name" returning "id"',
    kind: 'insert',
    tables: ['toy'],
    filters: [],
    literalKey: 0,
  },
  {
    sql: 'update "pet" set "name" = $1, "species" = $2 where "id" = $3',
    id: 'c6c6e021323670a9',
    shape: 'update "pet" set "name" = ?, "species" = ? where "id" = ?',
    kind: 'update',
    tables: ['pet'],
    filters: [{ column: 'id', operator: '=', param: 3 }],
    literalKey: 0,
  },
  {
    sql: 'delete from "toy" where "pet_id" in ($1, $2, $3)',
    id: '074de2083a0dfbb5',
    shape: 'delete from "toy" where "pet_id" in (...)',
    kind: 'delete',
    tables: ['toy'],
    filters: [{ column: 'pet_id', operator: 'in', param: 1 }],
    literalKey: 0,
  },
  {
    sql: 'select * from person where name = $1 and email ilike $2 -- trailing comment',
    id: '8e65fe09dee2a1ce',
    shape: 'select * from person where name = ? and email ilike ?',
    kind: 'select',
    tables: ['person'],
    filters: [
      { column: 'name', operator: '=', param: 1 },
      { column: 'email', operator: 'ilike', param: 2 },
    ],
    literalKey: 0,
  },
  {
    sql: 'select "pet".* from "pet" where "pet"."owner_id" = $1 and "pet"."species" in ($2, $3) limit $4',
    id: 'd120fefaf821ffdc',
    shape: 'select "pet".* from "pet" where "pet"."owner_id" = ? and "pet"."species" in (...) limit ?',
    kind: 'select',
    tables: ['pet'],
    filters: [
      { table: 'pet', column: 'owner_id', operator: '=', param: 1 },
      { table: 'pet', column: 'species', operator: 'in', param: 2 },
    ],
    literalKey: 0,
  },
  {
    sql: "select * from \"event\" where \"event\".\"id\" = any($1) and \"event\".\"data\" ? $2 and \"event\".\"data\"->>'kind' = $3",
    id: '1d503391f2ef2e8f',
    shape: 'select * from "event" where "event"."id" = any(?) and "event"."data" ? ? and "event"."data"->>? = ?',
    kind: 'select',
    tables: ['event'],
    filters: [
      { table: 'event', column: 'id', operator: 'any', param: 1 },
      { table: 'event', column: 'data', operator: '?', param: 2 },
    ],
    literalKey: 1702275149,
  },
  {
    sql: "select * from t where a = 42 and b = 'it''s' and c = -5 and d = 1.5e-3 and e = 0x1F and f = true and g = FALSE",
    id: '937741c118446fb0',
    shape: 'select * from t where a = ? and b = ? and c = ? and d = ? and e = ? and f = ? and g = ?',
    kind: 'select',
    tables: ['t'],
    filters: [
      { column: 'a', operator: '=' },
      { column: 'b', operator: '=' },
      { column: 'c', operator: '=' },
      { column: 'd', operator: '=' },
      { column: 'e', operator: '=' },
      { column: 'f', operator: '=' },
      { column: 'g', operator: '=' },
    ],
    literalKey: 1139926478,
  },
  {
    sql: "select E'a\\'b', B'101', X'1F', N'n', U&'d\\0061t' UESCAPE '!', $$ it's $$, $fn$ body $fn$ from t",
    id: '1d59ca1a099a1b30',
    shape: 'select ?, ?, ?, ?, ?, ?, ? from t',
    kind: 'select',
    tables: ['t'],
    filters: [],
    literalKey: 1008292456,
  },
  {
    sql: "select 'a'\n  'b', date '2020-01-01', interval '1' day, interval (2) '1 s', timestamp with time zone '2020-01-01 00:00'",
    id: '5e3c5be8df153a8a',
    shape: 'select ?, ?, ?, ?, ?',
    kind: 'select',
    tables: [],
    filters: [],
    literalKey: 699751517,
  },
  {
    sql: 'select $1::uuid, $2::numeric(10, 2), $3::character varying(20)[], $4::interval day to second, ?::timestamp with time zone, CAST($5 AS int)',
    id: '30fb405c6f4d6e82',
    shape: 'select ?, ?, ?, ?, ?, ?',
    kind: 'select',
    tables: [],
    filters: [],
    literalKey: 0,
  },
  {
    sql: 'select b - 3, x=-5, 1 - -1, 2 * -3, 4 / - 5, -$1, -a from t',
    id: 'b66697e108d3e699',
    shape: 'select b - ?, x=?, ? - ?, ? * ?, ? / ?, -?, -a from t',
    kind: 'select',
    tables: ['t'],
    filters: [],
    literalKey: 1353908330,
  },
  {
    sql: "select * from t where a in (1, -2, 'x', true, ?) and b not in ($1::uuid, $2::uuid) and c in (d, e) and f in (null, 1)",
    id: 'acf685c8e482c798',
    shape: 'select * from t where a in (...) and b not in (...) and c in (d, e) and f in (null, ?)',
    kind: 'select',
    tables: ['t'],
    filters: [
      { column: 'a', operator: 'in' },
      { column: 'b', operator: 'not in', param: 1 },
    ],
    literalKey: 834708686,
  },
  {
    sql: 'select * from t where a = any(ARRAY[$1, $2]) and b = any(array[[1, 2], [3, 4]]) and c = any($3)',
    id: 'cd8f6b4ce66e38f3',
    shape: 'select * from t where a = any(ARRAY[...]) and b = any(array[[?, ?], [?, ?]]) and c = any(?)',
    kind: 'select',
    tables: ['t'],
    filters: [{ column: 'c', operator: 'any', param: 3 }],
    literalKey: 3167897282,
  },
  {
    sql: "insert into films (code, did) values ('a', 105), ('b', DEFAULT), ('c', 7)",
    id: '3f1f036c471510a1',
    shape: 'insert into films (code, did) values (?, ?), (?, DEFAULT), (?, ?)',
    kind: 'insert',
    tables: ['films'],
    filters: [],
    literalKey: 1091247109,
  },
  {
    sql: "insert into t values (1, 'a'), (2,'b'), (3 , 'c') returning *",
    id: 'dafd01d801bb9c41',
    shape: 'insert into t values (?, ?) returning *',
    kind: 'insert',
    tables: ['t'],
    filters: [],
    literalKey: 85675273,
  },
  {
    sql: 'select * from (values (1, 2), (3, 4)) as v (a, b), (values (1), (now())) w where a = 1',
    id: '7d34d5e300457425',
    shape: 'select * from (values (?, ?)) as v (a, b), (values (?), (now())) w where a = ?',
    kind: 'select',
    tables: [],
    filters: [{ column: 'a', operator: '=' }],
    literalKey: 2618145067,
  },
  {
    sql: 'WITH a AS (SELECT * FROM x WHERE x.y = $1 AND x.z = 1) SELECT * FROM a',
    id: 'abad7dc561e7c579',
    shape: 'WITH a AS (SELECT * FROM x WHERE x.y = ? AND x.z = ?) SELECT * FROM a',
    kind: 'select',
    tables: ['x'],
    filters: [
      { table: 'x', column: 'y', operator: '=', param: 1 },
      { table: 'x', column: 'z', operator: '=' },
    ],
    literalKey: 4145507567,
  },
  {
    sql: 'with a as (delete from x where id = $1 returning *) update b set c = 1 from a where b.id = a.id',
    id: 'e4131e6fffb3d24b',
    shape: 'with a as (delete from x where id = ? returning *) update b set c = ? from a where b.id = a.id',
    kind: 'update',
    tables: ['b', 'x'],
    filters: [{ column: 'id', operator: '=', param: 1 }],
    literalKey: 4145507567,
  },
  {
    sql: 'with recursive r(n) as (select 1 union all select n + 1 from r where n < 10) insert into nums select n from r',
    id: '9314933eaf1b25e0',
    shape: 'with recursive r(n) as (select ? union all select n + ? from r where n < ?) insert into nums select n from r',
    kind: 'insert',
    tables: ['nums'],
    filters: [{ column: 'n', operator: '<' }],
    literalKey: 2044592330,
  },
  {
    sql: 'merge into measurement m using new_measurement nm on (m.city_id = nm.city_id and m.logdate = nm.logdate) when matched and nm.peaktemp is null then delete when not matched then insert values (nm.city_id, nm.logdate)',
    id: '75d7ede1d6312424',
    shape: 'merge into measurement m using new_measurement nm on (m.city_id = nm.city_id and m.logdate = nm.logdate) when matched and nm.peaktemp is null then delete when not matched then insert values (nm.city_id, nm.logdate)',
    kind: 'merge',
    tables: ['measurement', 'new_measurement'],
    filters: [],
    literalKey: 0,
  },
  {
    sql: 'BEGIN ISOLATION LEVEL SERIALIZABLE',
    id: '60739e2fb77df6cb',
    shape: 'BEGIN ISOLATION LEVEL SERIALIZABLE',
    kind: 'transaction',
    tables: [],
    filters: [],
    literalKey: 0,
  },
  {
    sql: 'rollback to savepoint "sp1"',
    id: 'b70beba9ecfd4c58',
    shape: 'rollback to savepoint "sp1"',
    kind: 'transaction',
    tables: [],
    filters: [],
    literalKey: 0,
  },
  {
    sql: "prepare transaction 'x'",
    id: '36769ded57c2ee78',
    shape: 'prepare transaction ?',
    kind: 'transaction',
    tables: [],
    filters: [],
    literalKey: 3344935055,
  },
  {
    sql: 'release savepoint sp1',
    id: '14dfa82d299fd93c',
    shape: 'release savepoint sp1',
    kind: 'transaction',
    tables: [],
    filters: [],
    literalKey: 0,
  },
  {
    sql: 'set search_path = public, "MySchema"',
    id: '4be2cff9b9f470db',
    shape: 'set search_path = public, "MySchema"',
    kind: 'utility',
    tables: [],
    filters: [],
    literalKey: 0,
  },
  {
    sql: "create table if not exists public.t (a int, b varchar(20) not null default 'x')",
    id: 'f87fcf0eb271f581',
    shape: 'create table if not exists public.t (a int, b varchar(?) not null default ?)',
    kind: 'utility',
    tables: ['public.t'],
    filters: [],
    literalKey: 3130996040,
  },
  {
    sql: 'copy pet from stdin with (format csv)',
    id: '70891ebb3b6190cd',
    shape: 'copy pet from stdin with (format csv)',
    kind: 'utility',
    tables: ['pet'],
    filters: [],
    literalKey: 0,
  },
  {
    sql: 'fetch 100 from cur',
    id: '31750815641b9e4a',
    shape: 'fetch ? from cur',
    kind: 'utility',
    tables: [],
    filters: [],
    literalKey: 904473402,
  },
  {
    sql: 'explain analyze select * from pet where id = 1',
    id: 'ce49e3c4294ee2d5',
    shape: 'explain analyze select * from pet where id = ?',
    kind: 'utility',
    tables: ['pet'],
    filters: [{ column: 'id', operator: '=' }],
    literalKey: 4145507567,
  },
  {
    sql: '(select 1) union (select 2)',
    id: 'ec066c6bbf2c5ae0',
    shape: '(select ?) union (select ?)',
    kind: 'select',
    tables: [],
    filters: [],
    literalKey: 533236261,
  },
  {
    sql: 'table pet',
    id: '6fb5a251e6d5c80c',
    shape: 'table pet',
    kind: 'select',
    tables: ['pet'],
    filters: [],
    literalKey: 0,
  },
  {
    sql: 'select * from pet p, person as q join toy t on t.pet_id = p.id left join "toy" on true where p.id = $1',
    id: 'f3436d10de8829a4',
    shape: 'select * from pet p, person as q join toy t on t.pet_id = p.id left join "toy" on ? where p.id = ?',
    kind: 'select',
    tables: ['pet', 'person', 'toy'],
    filters: [{ table: 'p', column: 'id', operator: '=', param: 1 }],
    literalKey: 3324071859,
  },
  {
    sql: 'select * from a, lateral (select * from b where b.a = a.id) s, c where c.x between $1 and $2',
    id: 'e462c359f7378ec9',
    shape: 'select * from a, lateral (select * from b where b.a = a.id) s, c where c.x between ? and ?',
    kind: 'select',
    tables: ['a', 'b', 'c'],
    filters: [{ table: 'c', column: 'x', operator: 'between', param: 1 }],
    literalKey: 0,
  },
  {
    sql: "select extract(day from created_at), substring(name from 2), trim(both 'x' from name) from pet where name similar to $1",
    id: 'a549b3f59823d030',
    shape: 'select extract(day from created_at), substring(name from ?), trim(both ? from name) from pet where name similar to ?',
    kind: 'select',
    tables: ['pet'],
    filters: [{ column: 'name', operator: 'similar to', param: 1 }],
    literalKey: 84924225,
  },
  {
    sql: 'select * from pet where id in (select pet_id from toy where toy.kind = $1) and exists (select 1 from person where person.id = pet.owner_id)',
    id: '3540eb8b66dfe8bb',
    shape: 'select * from pet where id in (select pet_id from toy where toy.kind = ?) and exists (select ? from person where person.id = pet.owner_id)',
    kind: 'select',
    tables: ['pet', 'toy', 'person'],
    filters: [{ table: 'toy', column: 'kind', operator: '=', param: 1 }],
    literalKey: 4145507567,
  },
  {
    sql: 'update pet set name = $1 from person where person.id = pet.owner_id and $2 < person.age and person.name is not distinct from $3',
    id: 'af4e089c66f8bdab',
    shape: 'update pet set name = ? from person where person.id = pet.owner_id and ? < person.age and person.name is not distinct from ?',
    kind: 'update',
    tables: ['pet', 'person'],
    filters: [
      { table: 'person', column: 'age', operator: '>', param: 2 },
      { table: 'person', column: 'name', operator: 'is not distinct from', param: 3 },
    ],
    literalKey: 0,
  },
  {
    sql: 'delete from pet using person, toy where person.id = pet.owner_id and toy.x <> all($1) and pet.y not ilike $2',
    id: 'a6c4044939787bbb',
    shape: 'delete from pet using person, toy where person.id = pet.owner_id and toy.x <> all(?) and pet.y not ilike ?',
    kind: 'delete',
    tables: ['pet', 'person', 'toy'],
    filters: [
      { table: 'toy', column: 'x', operator: 'all', param: 1 },
      { table: 'pet', column: 'y', operator: 'not ilike', param: 2 },
    ],
    literalKey: 0,
  },
  {
    sql: 'select * into temp t from "Public"."Pet" where "Name" = $1 and Public.Pet.Age >= 3',
    id: '30f3189a5ffb6ef7',
    shape: 'select * into temp t from "Public"."Pet" where "Name" = ? and Public.Pet.Age >= ?',
    kind: 'select',
    tables: ['t', 'Public.Pet'],
    filters: [
      { column: 'Name', operator: '=', param: 1 },
      { table: 'public.pet', column: 'age', operator: '>=' },
    ],
    literalKey: 4178177062,
  },
  {
    sql: 'select count(*) filter (where a > 1) over (partition by b order by c rows between 1 preceding and current row) from t group by b having count(*) > $1',
    id: '8dbd907f8db002ba',
    shape: 'select count(*) filter (where a > ?) over (partition by b order by c rows between ? preceding and current row) from t group by b having count(*) > ?',
    kind: 'select',
    tables: ['t'],
    filters: [{ column: 'a', operator: '>' }],
    literalKey: 678509902,
  },
  {
    sql: "select * from t where (a, b) in (($1, $2), ($3, $4)) and d @> $5 and e <@ $6 and f->'g' ?| $7",
    id: 'ba7c4705acd3e1c0',
    shape: 'select * from t where (a, b) in ((?, ?), (?, ?)) and d @> ? and e <@ ? and f->? ?| ?',
    kind: 'select',
    tables: ['t'],
    filters: [
      { column: 'd', operator: '@>', param: 5 },
      { column: 'e', operator: '<@', param: 6 },
    ],
    literalKey: 1502235677,
  },
  {
    sql: 'SELECT 名前, größe, café$1, ÄRGER, Ärger from 表 where größe = 1',
    id: '7f2629cffd8bca1c',
    shape: 'SELECT 名前, größe, café$1, ÄRGER, Ärger from 表 where größe = ?',
    kind: 'select',
    tables: ['表'],
    filters: [{ column: 'größe', operator: '=' }],
    literalKey: 4145507567,
  },
  {
    sql: "select \"a\"\"b\", U&\"d!0061t\" UESCAPE '!', a[1:2], a[$1:$2], b[1][2] from t /* a /* nested */ c */ where 1=1",
    id: '6f0c173c006be55e',
    shape: "select \"a\"\"b\", U&\"d!0061t\" UESCAPE '!', a[?:?], a[?:?], b[?][?] from t where ?=?",
    kind: 'select',
    tables: ['t'],
    filters: [],
    literalKey: 2057620666,
  },
  {
    sql: 'select a/**/b, "a"/**/"b", 1/**/2, $1/**/$2, ?/**/?, a@$1, a@?$1, d ? $1, d ?| $1, d ?& $1, d @? $1, d#>>$1',
    id: '0d99f26e7f4af658',
    shape: 'select a b, "a" "b", ? ?, ? ?, ? ?, a@ ?, a@??, d ? ?, d ?| ?, d ?& ?, d @? ?, d#>>?',
    kind: 'select',
    tables: [],
    filters: [],
    literalKey: 533236261,
  },
  {
    sql: '$1$2 ?? a ? ? b ?| ?',
    id: '23439b811ea74d08',
    shape: '?? ?? a ? ? b ?| ?',
    kind: 'utility',
    tables: [],
    filters: [],
    literalKey: 0,
  },
  {
    sql: 'select 1; select a from b;; insert into c values (1);',
    id: '9157e80e09223f9f',
    shape: 'select ?; select a from b;; insert into c values (?)',
    kind: 'select',
    tables: ['b', 'c'],
    filters: [],
    literalKey: 678509902,
  },
  {
    sql: 'SELECT * FROM t WHERE a IN ( $1::uuid, $2::uuid, $3::uuid ) AND b = ANY ($4) AND c IS NULL ORDER BY 1 DESC NULLS LAST',
    id: '29b6476fd6f2d21d',
    shape: 'SELECT * FROM t WHERE a IN (...) AND b = ANY (?) AND c IS NULL ORDER BY ? DESC NULLS LAST',
    kind: 'select',
    tables: ['t'],
    filters: [
      { column: 'a', operator: 'in', param: 1 },
      { column: 'b', operator: 'any', param: 4 },
    ],
    literalKey: 4145507567,
  },
  {
    sql: "select 'unterminated",
    id: '079fe34321526d4d',
    shape: 'select ?',
    kind: 'select',
    tables: [],
    filters: [],
    literalKey: 631563195,
  },
  {
    sql: 'select * from t where a = $1::numeric(',
    id: '25ebd4547a067d4c',
    shape: 'select * from t where a = ?(',
    kind: 'select',
    tables: ['t'],
    filters: [{ column: 'a', operator: '=', param: 1 }],
    literalKey: 0,
  },
  {
    sql: 'values (1), (2);',
    id: 'ea7c15e013e6225b',
    shape: 'values (?)',
    kind: 'select',
    tables: [],
    filters: [],
    literalKey: 533236261,
  },
  {
    sql: '  ;  ',
    id: 'ebb6c228c3e7795a',
    shape: '',
    kind: 'utility',
    tables: [],
    filters: [],
    literalKey: 0,
  },
  {
    sql: 'select 0b101, 0o17, 1_000_000, .5, 5., 1..2, 1ex from t',
    id: 'ac64082b9e5c97fd',
    shape: 'select ?, ?, ?, ?, ?, ?.?, ?ex from t',
    kind: 'select',
    tables: ['t'],
    filters: [],
    literalKey: 1530365084,
  },
  {
    sql: 'DO $$DECLARE r record; BEGIN FOR r IN SELECT * FROM x LOOP END LOOP; END$$',
    id: '05e76cc7c0b74a71',
    shape: 'DO ?',
    kind: 'utility',
    tables: [],
    filters: [],
    literalKey: 969822025,
  },
  {
    sql: "select * from t where x = 'a' escape '!' and y like 'x%' escape '!'",
    id: 'e9df35c4a0186aad',
    shape: 'select * from t where x = ? escape ? and y like ? escape ?',
    kind: 'select',
    tables: ['t'],
    filters: [
      { column: 'x', operator: '=' },
      { column: 'y', operator: 'like' },
    ],
    literalKey: 688277989,
  },
]

// Clause-sized pieces: random sequences of them read like SQL often enough to reach every rule of
// the normaliser and of the kind / table / filter reader, and like nonsense the rest of the time.
const PIECES = [
  'select', 'SELECT *', 'from', 'FROM "pet"', 'pet p', 'public.toy', '"Public"."Toy"', 'join', 'left join toy t on',
  'where', 'WHERE', 'and', 'or', 'not', 'on', 'having', 'when', 'then', 'case', 'end', 'using', 'into', 'values',
  'insert into t', 'update pet set', 'delete from', 'merge into m using', 'with a as', 'with recursive r(n) as',
  'table', 'copy', 'begin', 'commit', 'set', 'returning *', 'order by 1', 'limit', 'offset', 'group by a', 'union all',
  'a', 'b.c', '"Name"', 'p."owner_id"', 'ÄRGER', 'größe', 'a$b', '=', '<>', '<', '>=', '@>', '<@', '?|', '->>', '#>>',
  '-', '+', '*', '/', '||', '::int', '::numeric(10, 2)', '::text[]', '::timestamp with time zone', '(', ')', '(',
  ')', '[', ']', ',', ',', ';', '.', '...', '$1', '$2', '$17', '?', '42', '-5', '1.5e-3', '0x1F', "'x'", "'it''s'",
  "E'a\\'b'", '$$ body $$', '$q$ x $q$', 'true', 'FALSE', 'null', 'default', "date '2020-01-01'", "interval '1' day",
  'interval (2) $3', 'cast($1 as int)', 'CAST(', 'as', 'in', 'not in', 'in ($1, $2)', 'IN (1, 2, 3)', 'any($1)',
  '= any(array[1, 2])', 'ARRAY[', 'all', 'some', 'like', 'ilike', 'similar to', 'between $1 and $2', 'is',
  'is not distinct from', 'exists', 'lateral', 'only', 'distinct', 'extract(day from a)', 'now()', '-- c\n',
  '/* c */', "'unterminated", '"open', '$1::"MyType"', 'U&"d!0061t"', "U&'x' UESCAPE '!'", "'a'\n'b'",
]
const SEPARATORS = [' ', ' ', ' ', '', '\n', '\t', ' /* x */ ']

function generated(): string[] {
  const rand = prng(20_261_122)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!
  const out: string[] = []
  for (let i = 0; i < 4000; i++) {
    const pieces = 1 + Math.floor(rand() * 30)
    let sql = pick(PIECES)
    for (let p = 1; p < pieces; p++) sql += pick(SEPARATORS) + pick(PIECES)
    out.push(sql)
  }
  return out
}

function corpusInputs(): string[] {
  const path = fileURLToPath(new URL('../fixtures/pg_query/pg_query-fingerprint.json', import.meta.url))
  return (JSON.parse(readFileSync(path, 'utf8')) as { input: string }[]).map((e) => e.input)
}

function outputLine(info: SqlInfo): string {
  const { id, shape, kind, tables, filters, literalKey } = info
  return JSON.stringify([id, shape, kind, tables, filters, literalKey])
}

describe('golden sqlInfo outputs', () => {
  it.each(GOLDEN)('$sql', (golden) => {
    clearFingerprintCache()
    const info = sqlInfo(golden.sql)
    expect({
      sql: golden.sql,
      id: info.id,
      shape: info.shape,
      kind: info.kind,
      tables: info.tables,
      filters: info.filters,
      literalKey: info.literalKey,
    }).toStrictEqual(golden)
  })

  it('pins every field for thousands of generated statements and the pg_query corpus (a diff, then a digest)', () => {
    clearFingerprintCache()
    const inputs = [...generated(), ...corpusInputs(), ...GOLDEN.map((g) => g.sql)]
    expect(inputs.length).toBe(4000 + 78 + GOLDEN.length)
    const actual = inputs.map((sql) => outputLine(sqlInfo(sql)))
    if (process.env.UPDATE_FINGERPRINT_GOLDEN === '1') writeFileSync(OUTPUTS, gzipSync(`${actual.join('\n')}\n`, { level: 9 }))
    const expected = gunzipSync(readFileSync(OUTPUTS)).toString('utf8').split('\n').slice(0, -1)
    expect(digest(expected)).toBe(DIGEST)
    expect(differences(inputs, expected, actual, 10)).toBe('')
    expect(digest(actual)).toBe(DIGEST)
  })
})

const OUTPUTS = new URL('../fixtures/fingerprint-golden-outputs.jsonl.gz', import.meta.url)
const DIGEST = '32c3e8a96e59c70bbc9bf583ce48eb4fee48aa3af9ed67e5e13355ddab9d074f'

function digest(lines: readonly string[]): string {
  const hash = createHash('sha256')
  for (const line of lines) hash.update(`${line}\n`)
  return hash.digest('hex')
}

// The first `max` statements whose output changed, readably: input, expected, actual.
function differences(inputs: readonly string[], expected: readonly string[], actual: readonly string[], max: number): string {
  const out: string[] = []
  let count = 0
  for (let i = 0; i < inputs.length; i++) {
    if (expected[i] === actual[i]) continue
    if (++count <= max) {
      out.push(`#${i} input:    ${JSON.stringify(inputs[i])}\n   expected: ${expected[i] ?? '(missing)'}\n   actual:   ${actual[i]}`)
    }
  }
  if (expected.length !== actual.length) out.push(`${expected.length} expected lines for ${actual.length} statements`)
  return count === 0 && out.length === 0 ? '' : `${count} of ${inputs.length} outputs changed; the first ${Math.min(count, max)}:\n${out.join('\n')}`
}
