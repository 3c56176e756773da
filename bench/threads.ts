// Where a steady agent's CPU goes by thread (main, V8 GC helpers, libuv pool): N running pods, then /proc/<pid>/task/*/stat over a window.
//
// Run: node --import tsx bench/threads.ts [--pods 100] [--seconds 60] [--agent-args="..."]
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BenchAgent } from './lib/agent.js';
import { cleanupOnSignals, onCleanup } from './lib/cleanup.js';
import { connect, ensureImage } from './lib/runtime.js';
import { measureBurst } from './burst.js';

const { values: args } = parseArgs({ options: { pods: { type: 'string' }, seconds: { type: 'string' }, 'agent-args': { type: 'string' } } });
const pods = Number(args.pods ?? 100);
const seconds = Number(args.seconds ?? 60);
const TICK = 100; // USER_HZ

/** utime and stime per thread, in clock ticks, by "tid comm". */
function threadTicks(pid: number): Map<string, { user: number; sys: number }> {
  const out = new Map<string, { user: number; sys: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(`${tid} ${comm}`, { user: Number(f[11]), sys: Number(f[12]) });
  }
  return out;
}

cleanupOnSignals();
const rt = await connect();
await ensureImage(rt.cri);
const agent = await BenchAgent.start({ name: 'threads', endpoint: rt.endpoint, extraArgs: args['agent-args']?.split(' ').filter(Boolean) });
onCleanup(() => agent.cleanup(rt.cri));
try {
  await measureBurst(agent, rt, pods);
  await new Promise((r) => setTimeout(r, 5000));
  const before = threadTicks(agent.pid);
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const after = threadTicks(agent.pid);
  const elapsed = (Date.now() - t0) / 1000;
  const pct = (ticks: number) => Number((((ticks / TICK) / elapsed) * 100).toFixed(2));
  let user = 0;
  let sys = 0;
  const rows: Array<[string, number, number]> = [];
  for (const [k, v] of after) {
    const u = v.user - (before.get(k)?.user ?? 0);
    const s = v.sys - (before.get(k)?.sys ?? 0);
    user += u;
    sys += s;
    if (u + s > 0) rows.push([k, u, s]);
  }
  rows.sort((a, b) => b[1] + b[2] - (a[1] + a[2]));
  for (const [k, u, s] of rows) console.log(`${String(pct(u + s)).padStart(6)} %  (user ${pct(u)}, sys ${pct(s)})  ${k}`);
  console.log(JSON.stringify({ figure: 'threads', pods, seconds: elapsed, cpuPercent: pct(user + sys), userPercent: pct(user), sysPercent: pct(sys), rssMB: agent.memory().rssMB }));
} finally {
  await agent.cleanup(rt.cri);
}
