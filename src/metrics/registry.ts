// The agent's Prometheus registry, with the three process metrics a scrape needs, read only when scraped (no collectDefaultMetrics).
import { Counter, Gauge, Registry } from 'prom-client';

/**
 * A fresh registry (never prom-client's global one, so tests and a second agent in one process do
 * not collide) with process_cpu_seconds_total, process_resident_memory_bytes and
 * process_start_time_seconds. prom-client's collectDefaultMetrics is left out on purpose: its
 * event-loop-lag monitor and GC observer cost CPU every second, which the steady benchmark
 * counts against the agent; these three cost nothing between scrapes.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  registerProcessMetrics(registry);
  return registry;
}

function registerProcessMetrics(registry: Registry): void {
  // A counter only goes up, so each scrape adds what was used since the last one.
  let cpuSeen = 0;
  new Counter({
    name: 'process_cpu_seconds_total',
    help: 'Total user and system CPU time spent in seconds.',
    registers: [registry],
    collect() {
      const { user, system } = process.cpuUsage();
      const total = (user + system) / 1e6;
      if (total > cpuSeen) this.inc(total - cpuSeen);
      cpuSeen = Math.max(cpuSeen, total);
    },
  });
  new Gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size in bytes.',
    registers: [registry],
    // libuv reads it from /proc/self/stat: no heap walk, unlike process.memoryUsage().
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
  const start = new Gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since unix epoch in seconds.', registers: [registry] });
  start.set(Math.round(Date.now() / 1000 - process.uptime()));
}
