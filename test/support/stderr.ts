// What n1guard wrote to stderr (its internal-error and warning channel) while a function ran.
import { vi } from 'vitest'

/** Everything written to stderr while `fn` runs, with `fn`'s value; nothing reaches the real stderr. */
export async function stderrOf<T>(fn: () => Promise<T>): Promise<{ value: T; stderr: string }> {
  const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
  try {
    const value = await fn()
    return { value, stderr: write.mock.calls.map((c) => String(c[0])).join('') }
  } finally {
    write.mockRestore()
  }
}
