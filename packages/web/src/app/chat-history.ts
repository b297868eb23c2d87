/**
 * Recent room chat for late joiners, peer to peer: when someone joins a room, each member already
 * in sends the newcomer THEIR OWN recent messages (an `app` message of kind
 * {@link HISTORY_KIND} on the chat channel). Nothing is stored on the server.
 *
 * Why each author sends only their own: the chat channel tells the receiver who is at the other
 * end, so a text that arrives on bob's channel is bob's. If members relayed everybody's history, a
 * member could forge lines "from" someone else. The price: texts of people who already left are
 * not passed on. The receiver checks every field, keeps at most {@link HISTORY_LIMITS.messages}
 * per sender (one batch each), drops ids already seen (a repeated batch after a reconnect) and
 * times in the future, and shows them as "before you joined".
 *
 * DOM-free: the schema check and the choice of what to send, unit-tested in Node.
 */
import { CHAT_LIMITS } from '@parley/protocol';

/** The `app` message kind of a history batch. */
export const HISTORY_KIND = 'parley.history';

/** Bounds of one batch. */
export const HISTORY_LIMITS = {
  /** Messages in one batch (and accepted from one sender). */
  messages: 30,
  /** UTF-8 bytes of the texts of one batch: it must fit one chat-channel message (64 KiB). */
  textBytes: 48 * 1024,
  /** How far in the future a message's time may be (clock skew between computers). */
  futureSkewMs: 5 * 60_000,
} as const;

/** One message of a batch: the author's id and time, as first sent. */
export interface HistoryMessage {
  id: string;
  text: string;
  ts: number;
}

/** A message of ours that could go in a batch. */
export interface OwnMessage extends HistoryMessage {}

const utf8 = new TextEncoder();

/**
 * Our most recent own messages that fit in one batch (count and bytes), oldest first; `mine`
 * is oldest first too.
 */
export function historyBatch(mine: readonly OwnMessage[]): { messages: HistoryMessage[] } {
  const out: HistoryMessage[] = [];
  let bytes = 0;
  for (let i = mine.length - 1; i >= 0 && out.length < HISTORY_LIMITS.messages; i--) {
    const m = mine[i]!;
    const size = utf8.encode(m.text).length + m.id.length + 32;
    if (bytes + size > HISTORY_LIMITS.textBytes) break;
    bytes += size;
    out.push({ id: m.id, text: m.text, ts: m.ts });
  }
  return { messages: out.reverse() };
}

function isMessage(v: unknown): v is HistoryMessage {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const m = v as Record<string, unknown>;
  const keys = Object.keys(m);
  return (
    keys.length === 3 &&
    typeof m.id === 'string' &&
    m.id.length >= 1 &&
    m.id.length <= CHAT_LIMITS.idMaxChars &&
    typeof m.text === 'string' &&
    m.text.trim().length >= 1 &&
    m.text.length <= CHAT_LIMITS.textMaxChars &&
    typeof m.ts === 'number' &&
    Number.isInteger(m.ts) &&
    m.ts >= 0
  );
}

/**
 * What the receiver keeps of one sender's history: the accepted messages per sender, and ids
 * seen (live messages count too, so a text seen live is not shown again as history).
 */
export class HistoryInbox {
  readonly #seen = new Map<string, Set<string>>();
  readonly #accepted = new Map<string, number>();

  /** Notes a live message from `from` (so a batch repeating it is not shown twice). */
  noteLive(from: string, id: string): void {
    this.#ids(from).add(id);
  }

  /**
   * Checks a batch `data` that arrived on `from`'s channel. Returns the new messages to show,
   * oldest first, or null when the batch is malformed (then nothing of it is shown).
   */
  accept(from: string, data: unknown, now = Date.now()): HistoryMessage[] | null {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) return null;
    const list = (data as Record<string, unknown>).messages;
    if (!Array.isArray(list) || Object.keys(data).length !== 1) return null;
    if (list.length > HISTORY_LIMITS.messages || !list.every(isMessage)) return null;
    const seen = this.#ids(from);
    let room = HISTORY_LIMITS.messages - (this.#accepted.get(from) ?? 0);
    const out: HistoryMessage[] = [];
    for (const m of list) {
      if (room <= 0) break;
      if (seen.has(m.id) || m.ts > now + HISTORY_LIMITS.futureSkewMs) continue;
      seen.add(m.id);
      out.push({ id: m.id, text: m.text, ts: m.ts });
      room--;
    }
    this.#accepted.set(from, (this.#accepted.get(from) ?? 0) + out.length);
    return out.sort((a, b) => a.ts - b.ts);
  }

  #ids(from: string): Set<string> {
    let set = this.#seen.get(from);
    if (!set) {
      set = new Set();
      this.#seen.set(from, set);
    }
    return set;
  }
}
