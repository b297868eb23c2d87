/**
 * Parley's own STUN server: one UDP socket that answers Binding requests (`binding.ts`), so
 * browsers behind a home router learn their public address without a third-party STUN server.
 *
 * The socket is open to anyone and UDP source addresses can be forged, so a flood "from" a victim
 * must not turn into a flood at the victim: answers are rationed per source address (IPv6: per
 * /64) by a token bucket with bounded memory (`IpLimiter`), and all answers together by one more
 * bucket. What is over the rate, malformed or not a Binding request gets no answer at all, only a
 * count in `parley_stun_requests_total{result}`.
 *
 * Starting never throws: when the port is taken (or the address cannot be bound) the server logs
 * a warning and runs without STUN; `status` says so (reported by `/healthz`).
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { IpLimiter, ipKey } from '../auth/ip-limiter.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { answerBinding } from './binding.ts';

/** What the STUN server reads from the configuration. */
export interface StunServerConfig {
  /** UDP port; `0` picks a free one; `off`: no STUN server. */
  readonly stunPort: number | 'off';
  /** Address to bind (`0.0.0.0`, `::` for IPv6 and IPv4, `127.0.0.1`). */
  readonly stunHost: string;
  /** Answers per second per source address (IPv6: per /64). */
  readonly stunRatePerS: number;
  /** Answers one source address may get at once. */
  readonly stunBurst: number;
  /** Answers per second from the whole server. */
  readonly stunGlobalPerS: number;
}

/** `running`: answering; `off`: not configured; `unavailable`: the port could not be bound. */
export type StunStatus = 'running' | 'off' | 'unavailable';

/** Source addresses remembered by the per-address limiter (least recently used go first). */
const MAX_TRACKED_ADDRESSES = 50_000;

/** The STUN responder; `start()` binds, `close()` releases the socket. */
export class StunServer {
  readonly #config: StunServerConfig;
  readonly #log: Logger;
  readonly #metrics: Metrics | undefined;
  readonly #perAddress: IpLimiter;
  readonly #global: IpLimiter;
  #socket: Socket | undefined;
  #status: StunStatus = 'off';
  #port: number | undefined;

  constructor(config: StunServerConfig, log: Logger, metrics?: Metrics) {
    this.#config = config;
    this.#log = log;
    this.#metrics = metrics;
    this.#perAddress = new IpLimiter({
      ratePerS: config.stunRatePerS,
      burst: config.stunBurst,
      maxKeys: MAX_TRACKED_ADDRESSES,
    });
    this.#global = new IpLimiter({
      ratePerS: config.stunGlobalPerS,
      burst: config.stunGlobalPerS,
      maxKeys: 1,
    });
  }

  /** Whether the server answers, and if not, why. */
  get status(): StunStatus {
    return this.#status;
  }

  /** The UDP port bound (when running). */
  get port(): number | undefined {
    return this.#port;
  }

  /** Binds the socket. Resolves in every case; a failure leaves `status` at `unavailable`. */
  async start(): Promise<StunStatus> {
    const { stunPort, stunHost } = this.#config;
    if (stunPort === 'off' || this.#socket) return this.#status;
    const socket = createSocket({ type: isIPv6(stunHost) ? 'udp6' : 'udp4' });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(stunPort, stunHost, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      socket.close();
      this.#status = 'unavailable';
      const code = (err as NodeJS.ErrnoException).code;
      this.#log.warn(
        { err, port: stunPort, host: stunHost },
        code === 'EADDRINUSE'
          ? `STUN disabled: UDP port ${stunPort} is taken (another STUN/TURN server?); set PARLEY_STUN_PORT to a free port or "off"`
          : `STUN disabled: could not bind UDP ${stunHost}:${stunPort}`,
      );
      return this.#status;
    }
    socket.on('message', (datagram, from) => this.#receive(socket, datagram, from));
    socket.on('error', (err) => this.#log.warn({ err }, 'stun socket error'));
    this.#socket = socket;
    this.#port = socket.address().port;
    this.#status = 'running';
    this.#log.info({ port: this.#port, host: stunHost }, 'stun listening');
    return this.#status;
  }

  /** Closes the socket (idempotent). */
  async close(): Promise<void> {
    const socket = this.#socket;
    if (!socket) return;
    this.#socket = undefined;
    this.#status = 'off';
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  #receive(socket: Socket, datagram: Buffer, from: { address: string; port: number }): void {
    const outcome = answerBinding(datagram, from);
    if ('ignored' in outcome) {
      this.#count(outcome.ignored);
      return;
    }
    // Rate-limit only what would be answered: junk costs nothing to drop, and counting it would
    // let a forged flood of junk "from" a client use up that client's answers.
    if (!this.#perAddress.take(ipKey(from.address)) || !this.#global.take('all')) {
      this.#count('rate_limited');
      return;
    }
    socket.send(outcome.answer, from.port, from.address, (err) => {
      if (err) this.#log.debug({ err }, 'stun answer not sent');
    });
    this.#count('answered');
  }

  #count(result: string): void {
    this.#metrics?.stunRequests.labels(result).inc();
  }
}
