// The TCP socket probe (probe/tcp DoTCPProbe): a connection that opens within the timeout is a success.
import net from 'node:net';
import { joinHostPort } from './target.js';
import type { CheckOutcome } from './types.js';

export function doTcpProbe(host: string, port: number, timeoutMs: number): Promise<CheckOutcome> {
  const addr = joinHostPort(host, port);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => finish({ result: 'failure', output: `dial tcp ${addr}: i/o timeout` }), timeoutMs);
    timer.unref();
    let settled = false;
    function finish(outcome: CheckOutcome, connected = false): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Reset rather than close: the kubelet's probe dialer sets SO_LINGER 1 so probes leave no TIME_WAIT behind.
      if (connected) socket.resetAndDestroy();
      else socket.destroy();
      resolve(outcome);
    }
    socket.once('connect', () => finish({ result: 'success', output: '' }, true));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const cause =
        err.code === 'ECONNREFUSED' ? 'connect: connection refused' : err.code === 'EHOSTUNREACH' ? 'connect: no route to host' : err.message;
      finish({ result: 'failure', output: `dial tcp ${addr}: ${cause}` });
    });
  });
}
