/**
 * `work`, or a rejection with the signal's reason as soon as `signal` aborts, whichever comes
 * first: a caller's budget holds even when the work ignores its signal (a provider that never
 * looks at it, a fetch someone else started). The abandoned work runs on; its outcome is dropped.
 */
export async function untilAborted<T> (work: Promise<T>, signal: AbortSignal): Promise<T> {
  return await new Promise<T>((resolve, reject) => {
    const stop = (): void => { reject(signal.reason) }
    if (signal.aborted) stop()
    else signal.addEventListener('abort', stop, { once: true })
    work.then(value => {
      signal.removeEventListener('abort', stop)
      resolve(value)
    }, (err: unknown) => {
      signal.removeEventListener('abort', stop)
      reject(err)
    })
  })
}
