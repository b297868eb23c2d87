/**
 * Decoding never throws: it returns the message, or the error code and a message for people.
 * Checks run in a fixed order — byte size, JSON, nesting depth, known `type`, schema — so the
 * cheapest rejection comes first and the same input always gets the same code on both ends.
 */
import * as z from 'zod/mini';
import type { ErrorCode } from './errors.ts';
import { topLevelValueSpan } from './json-span.ts';
import { LIMITS } from './limits.ts';
import { CLIENT_SCHEMAS, type ClientMessage, SERVER_SCHEMAS, type ServerMessage } from './messages.ts';
import { utf8Length } from './utf8.ts';

export type DecodeResult<M> =
  | {
      ok: true;
      msg: M;
      /**
       * For the relayed messages whose `data` is opaque to the server (`signal`, `room.message`):
       * the JSON text of `data` exactly as it came, a slice of the frame. The relay forwards it
       * instead of re-serialising `msg.data` (json-span.ts says when it is left out; then the
       * relay re-serialises). Set only for text frames, after every check passed.
       */
      dataJson?: string;
      /** Where `dataJson` starts in the frame's text (UTF-16 index), set with it. */
      dataAt?: number;
    }
  | { ok: false; code: ErrorCode; message: string; re?: string | number };

type Raw = string | Uint8Array | ArrayBuffer;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function toText(raw: Raw): string {
  if (typeof raw === 'string') return raw;
  return utf8.decode(raw instanceof ArrayBuffer ? new Uint8Array(raw) : raw);
}

/** True when the frame is over `maxBytes` of UTF-8, without encoding strings that are clearly not. */
function exceeds(raw: Raw, maxBytes: number): boolean {
  if (typeof raw !== 'string') return raw.byteLength > maxBytes;
  // A string's UTF-8 length is at least its UTF-16 length and at most three times it.
  if (raw.length > maxBytes) return true;
  if (raw.length * 3 <= maxBytes) return false;
  return utf8Length(raw) > maxBytes;
}

/** The depth check's work stack, reused: pairs of (container, its depth). Emptied after each use. */
const depthStack: unknown[] = [];

/**
 * True when `value` nests objects and arrays more than `maxDepth` deep (the value itself counts
 * as 1). Iterative, with an explicit stack, so a frame thousands deep cannot overflow the call
 * stack here; it stops at the first container past the limit. The cost is one step per property
 * or element of the containers in the frame, not per byte, and nothing is allocated: a signal
 * carrying a 4 KB SDP is a dozen steps (bench/protocol/depth-check.ts).
 */
export function nestedDeeperThan(value: unknown, maxDepth: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const stack = depthStack;
  let top = 0;
  stack[top++] = value;
  stack[top++] = 1;
  let deeper = false;
  while (top > 0) {
    const depth = stack[--top] as number;
    const v = stack[--top] as Record<string, unknown> | unknown[];
    if (depth > maxDepth) {
      deeper = true;
      break;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const child = v[i];
        if (typeof child === 'object' && child !== null) {
          stack[top++] = child;
          stack[top++] = depth + 1;
        }
      }
    } else {
      // JSON.parse makes plain objects whose keys are all own and enumerable (`__proto__` too).
      for (const key in v) {
        const child = v[key];
        if (typeof child === 'object' && child !== null) {
          stack[top++] = child;
          stack[top++] = depth + 1;
        }
      }
    }
  }
  stack.length = 0;
  return deeper;
}

function pickRe(obj: Record<string, unknown>): string | number | undefined {
  const id = obj.id;
  if (typeof id === 'string' && id.length > 0 && id.length <= LIMITS.idMaxChars) return id;
  if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) return id;
  return undefined;
}

function describeIssues(error: z.core.$ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(frame)'}: ${i.message}`)
    .join('; ');
}

type SchemaTable = Readonly<Record<string, z.ZodMiniType>>;
/**
 * The parser a schema decodes with: itself until {@link useCompiledSchemas} swaps in the compiling
 * one. `z.compile` is referenced only inside that function, so a browser bundle, which never
 * calls it, leaves zod's compiler out (about 10 KiB gzip).
 */
let parserFor: (schema: z.ZodMiniType) => z.ZodMiniType = (schema) => schema;

/**
 * Decodes with compiled schemas from now on (process-wide): zod/mini interprets schemas, where
 * zod classic compiled its object parsers, so a server decodes ~1.2–2.9× slower without this
 * (bench/protocol/zod-mini.ts). `z.compile` generates the parser with `new Function` and falls
 * back to the interpreted one for any frame it refuses, so results and messages are the same. For
 * Node (the server calls it at start); never in a browser, whose CSP forbids eval.
 *
 * Each schema is compiled the first time a frame of its type arrives, not all at once: compiling
 * every schema at start cost the server about 8–10 MiB of RSS (measured with the compiled server,
 * 2 s after listening), most of it for frame types a node may never see.
 */
export function useCompiledSchemas(): void {
  const compiled = new Map<z.ZodMiniType, z.ZodMiniType>();
  parserFor = (schema) => {
    let parser = compiled.get(schema);
    if (parser === undefined) {
      parser = z.compile(schema) as z.ZodMiniType;
      compiled.set(schema, parser);
    }
    return parser;
  };
}

function decodeWith<M>(
  raw: Raw,
  schemas: SchemaTable,
  maxBytes: number,
  idField: boolean,
  opaque?: ReadonlySet<string>,
): DecodeResult<M> {
  if (exceeds(raw, maxBytes))
    return { ok: false, code: 'TOO_LARGE', message: `frame exceeds ${maxBytes} bytes` };
  let value: unknown;
  let text: string;
  try {
    text = toText(raw);
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: 'BAD_JSON', message: 'frame is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 'BAD_JSON', message: 'frame must be a JSON object' };
  }
  const obj = value as Record<string, unknown>;
  const re = idField ? pickRe(obj) : undefined;
  if (nestedDeeperThan(obj, LIMITS.frameMaxDepth)) {
    return withRe(
      {
        ok: false,
        code: 'BAD_MESSAGE',
        message: `frame nests objects and arrays more than ${LIMITS.frameMaxDepth} deep`,
      },
      re,
    );
  }
  const type = obj.type;
  if (typeof type !== 'string') {
    return withRe({ ok: false, code: 'UNKNOWN_TYPE', message: 'frame has no string "type"' }, re);
  }
  const schema = Object.hasOwn(schemas, type) ? schemas[type] : undefined;
  if (!schema) {
    return withRe({ ok: false, code: 'UNKNOWN_TYPE', message: `unknown type "${type.slice(0, 40)}"` }, re);
  }
  const parsed = parserFor(schema).safeParse(obj);
  if (!parsed.success) {
    return withRe(
      { ok: false, code: 'BAD_MESSAGE', message: `invalid ${type}: ${describeIssues(parsed.error)}` },
      re,
    );
  }
  if (opaque?.has(type)) {
    const span = topLevelValueSpan(text, 'data');
    if (span !== undefined)
      return { ok: true, msg: parsed.data as M, dataJson: text.slice(span[0], span[1]), dataAt: span[0] };
  }
  return { ok: true, msg: parsed.data as M };
}

/**
 * Client messages whose `data` the server relays without looking inside: the decoder hands back
 * its text as sent ({@link DecodeResult}), so the relay splices it into the outgoing frame.
 */
const OPAQUE_DATA: ReadonlySet<string> = new Set(['signal', 'room.message']);

type Failure = Extract<DecodeResult<never>, { ok: false }>;

function withRe(r: Failure, re: string | number | undefined): Failure {
  if (re !== undefined) r.re = re;
  return r;
}

/** Decodes a frame a client sent (used by the server). */
export function decodeClient(raw: Raw, maxBytes: number = LIMITS.maxFrameBytes): DecodeResult<ClientMessage> {
  return decodeWith<ClientMessage>(raw, CLIENT_SCHEMAS, maxBytes, true, OPAQUE_DATA);
}

/** Decodes a frame the server sent (used by clients). Server frames are not size-limited here. */
export function decodeServer(raw: Raw, maxBytes = Number.POSITIVE_INFINITY): DecodeResult<ServerMessage> {
  return decodeWith<ServerMessage>(raw, SERVER_SCHEMAS, maxBytes, false);
}

/** Encodes any protocol message as a text frame. */
export function encode(msg: ClientMessage | ServerMessage): string {
  return JSON.stringify(msg);
}
