// A small in-memory job queue and worker loop, standing in for BullMQ, pg-boss or SQS: what matters
// to n1guard is only that each job runs through one handler call.

/** First in, first out; `take` waits for a job, or resolves to undefined once closed and empty. */
export class JobQueue<T> {
  private readonly items: T[] = []
  private readonly waiting: Array<(item: T | undefined) => void> = []
  private closed = false

  push(item: T): void {
    if (this.closed) throw new Error('the queue is closed')
    const wake = this.waiting.shift()
    if (wake === undefined) this.items.push(item)
    else wake(item)
  }

  /** No more jobs will come: workers stop once the queue is empty. */
  close(): void {
    this.closed = true
    for (const wake of this.waiting.splice(0)) wake(undefined)
  }

  take(): Promise<T | undefined> {
    if (this.items.length > 0) return Promise.resolve(this.items.shift())
    if (this.closed) return Promise.resolve(undefined)
    return new Promise((resolve) => this.waiting.push(resolve))
  }
}

/**
 * Runs `concurrency` loops that take jobs from `queue` and hand them to `handle`, until the queue
 * is closed and empty. A job that fails is passed to `onError` and the loop goes on.
 */
export async function runWorker<T>(
  queue: JobQueue<T>,
  handle: (job: T) => Promise<unknown>,
  options: { concurrency: number; onError: (job: T, error: unknown) => void },
): Promise<void> {
  const loop = async (): Promise<void> => {
    for (let job = await queue.take(); job !== undefined; job = await queue.take()) {
      try {
        await handle(job)
      } catch (error) {
        options.onError(job, error)
      }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, loop))
}
