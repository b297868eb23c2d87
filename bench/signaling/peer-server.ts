/**
 * The PeerJS server (npm `peer` 1.0.2) as the benchmark runs it, in its own process, through its
 * public PeerServer API: `BENCH_PORT=9000 node --import tsx bench/signaling/peer-server.ts`.
 * Clients connect to `/peerjs?key=peerjs&id=<id>&token=<token>`.
 *
 * Two defaults are changed, both so the run measures relaying rather than refusals:
 * `concurrent_limit` (5,000 by default) is raised for the 10,000-connection scenario, and
 * `alive_timeout` (90 s) is raised because the load generator does not send PeerJS HEARTBEAT
 * frames (the browser client sends one every 5 s; Parley's liveness uses WebSocket pings, which
 * `ws` answers without any application code). Its 300 ms liveness sweep still runs as usual.
 */
import { PeerServer } from 'peer';

PeerServer({
  host: '127.0.0.1',
  port: Number(process.env.BENCH_PORT ?? 9000),
  path: '/',
  concurrent_limit: 1_000_000,
  alive_timeout: 3_600_000,
});

// Exit normally on SIGTERM so that `--cpu-prof` (run.ts --profile) writes its profile.
process.on('SIGTERM', () => process.exit(0));
