/**
 * The language of validation messages. The schemas use zod/mini (the SDK bundle is a third of
 * what zod classic made it), which loads no locale: without one, every failed check would read
 * "Invalid input". Loading zod's English messages here ("Too big: expected string to have
 * <=64 characters", …) keeps every error frame's and decoder's message as informative as with
 * zod classic, in the server, the CLI and the browser alike, for ~1 KiB gzip of the SDK bundle
 * (docs/BENCHMARKS.md). Process-wide, like any zod config; imported for its effect by messages.ts,
 * which every schema module imports. Imports zod/mini and zod's English locale only.
 */
import { en } from 'zod/locales';
import * as z from 'zod/mini';

z.config(en());
