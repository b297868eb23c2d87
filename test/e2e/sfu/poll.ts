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
