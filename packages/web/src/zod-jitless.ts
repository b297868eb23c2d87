/**
 * The app runs under a Content-Security-Policy without `'unsafe-eval'` (the server sends it; see
 * docs/DEPLOY.md). zod compiles fast object parsers with `new Function` when it may, and probes
 * for that once: under the policy the probe fails harmlessly but still reports a CSP violation in
 * the console and to `securitypolicyviolation` listeners. Jitless mode skips the probe and the
 * compilation (protocol frames are small; the interpreted parser is fast enough). Imported first
 * by main.ts, before anything parses a frame.
 */
import { config } from 'zod/mini';

config({ jitless: true });
