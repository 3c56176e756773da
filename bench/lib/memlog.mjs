// Preloaded into the agent when BENCH_MEMLOG=1: logs V8 heap spaces and RSS every 5 s to stderr, to see where memory goes.
import v8 from 'node:v8';

const mb = (n) => Math.round(n / 1e5) / 10;
setInterval(() => {
  const m = process.memoryUsage();
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().filter((s) => s.space_size > 0).map((s) => [s.space_name, [mb(s.space_size), mb(s.space_used_size)]]));
  process.stderr.write(`${JSON.stringify({ memlog: true, rss: mb(m.rss), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external), spaces })}\n`);
}, 5000).unref();
