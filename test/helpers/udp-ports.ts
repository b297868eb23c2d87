/**
 * Free UDP ports for the media servers the tests start (Janus's RTP range, coturn's relay
 * range and listening port).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';

/** Binds `port` on `address` (every address when omitted); null when it is taken. */
export function bindUdp(port: number, address?: string): Promise<UdpSocket | null> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(null);
    });
    socket.bind(port, address, () => resolve(socket));
  });
}

/**
 * A run of `size` UDP ports free right now on `address` (every address when omitted), below the
 * kernel's ephemeral range (32768+) so sockets other tests open on port 0 do not land in it.
 */
export async function freeUdpRange(size: number, address?: string): Promise<{ min: number; max: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const min = 20_000 + Math.floor(Math.random() * (12_000 - size));
    const sockets: UdpSocket[] = [];
    let ok = true;
    for (let p = min; p < min + size; p++) {
      const s = await bindUdp(p, address);
      if (!s) {
        ok = false;
        break;
      }
      sockets.push(s);
    }
    for (const s of sockets) s.close();
    if (ok) return { min, max: min + size - 1 };
  }
  throw new Error(`no free run of ${size} UDP ports`);
}
