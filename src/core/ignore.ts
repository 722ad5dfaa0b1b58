import { bareTable } from './bare-table.js'
import type { IgnoreRule, IgnoreSubject } from './options.js'

function text(pattern: string | RegExp, value: string | undefined, mode: 'contains' | 'equals'): boolean {
  if (value === undefined) return false
  if (typeof pattern !== 'string') {
    pattern.lastIndex = 0
    return pattern.test(value)
  }
  return mode === 'contains' ? value.toLowerCase().includes(pattern.toLowerCase()) : value === pattern
}

function lowerBareTable(name: string): string {
  return bareTable(name)!.toLowerCase()
}

/** True when one rule silences the finding described by `subject`. */
export function matchesIgnoreRule(rule: IgnoreRule, subject: IgnoreSubject): boolean {
  if (typeof rule === 'function') return rule(subject) === true
  if (typeof rule === 'string' || rule instanceof RegExp) return text(rule, subject.sql, 'contains')
  if (rule.sql !== undefined && !text(rule.sql, subject.sql, 'contains')) return false
  if (rule.table !== undefined) {
    const want = rule.table.toLowerCase()
    if (subject.table === undefined || (subject.table.toLowerCase() !== want && lowerBareTable(subject.table) !== lowerBareTable(want))) {
      return false
    }
  }
  if (rule.file !== undefined && !text(rule.file, subject.callSite?.file, 'contains')) return false
  if (rule.function !== undefined && !text(rule.function, subject.callSite?.function, 'equals')) return false
  return true
}
