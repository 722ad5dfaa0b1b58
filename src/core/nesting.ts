/**
 * Set while one adapter hands a statement to the layer below it (Kysely -> pg client), so the
 * lower adapter passes that call straight through: a query is counted once even when both the
 * Kysely dialect and the pg pool are instrumented. Only ever raised around synchronous calls.
 */
export const nesting = { depth: 0 }
