/** Waiting in tests: every loop has a deadline and says what it waited for when it runs out. */

/** Resolves once `cond` holds, checking every `intervalMs`; throws after `timeoutMs`. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Polls `read` until `ok` accepts its value (every 200 ms), or fails after `timeoutMs` saying why. */
export async function poll<T>(
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs: number,
  explain?: () => Promise<string>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (ok(last)) return last;
    if (Date.now() > deadline) {
      const more = explain ? ` (${await explain()})` : '';
      throw new Error(`condition not met in ${timeoutMs} ms; last ${JSON.stringify(last)}${more}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
