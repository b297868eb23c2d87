/**
 * Preloaded into the server under attack (with `--expose-gc`) by bench/attack/server.ts: on
 * SIGUSR2 it runs two full garbage collections, so the benchmark can read the RSS of what the
 * server really keeps, not of garbage a collection would free ("forced settle"). It adds nothing
 * else to the server, and it works on any commit of it (it imports nothing).
 */
process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
});
