// Profiles the agent under a benchmark load with node --cpu-prof and prints where its CPU goes (self and inclusive time per function).
//
// Run: node --import tsx bench/profile.ts [--pods 100] [--steady-seconds 30] [--steady-only] [--agent-args="..."]
// Phases: a burst of N pods, then a steady window with nothing happening. The raw .cpuprofile
// files stay in bench/results/profiles/ (open them in Chrome DevTools for flame graphs).
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BenchAgent, REPO } from './lib/agent.js';
import { cleanupOnSignals, onCleanup } from './lib/cleanup.js';
import { summarizeProfile } from './lib/cpuprofile.js';
import { connect, ensureImage } from './lib/runtime.js';
import { measureBurst } from './burst.js';
import { runSteady } from './steady.js';

const { values: args } = parseArgs({
  options: { pods: { type: 'string' }, 'steady-seconds': { type: 'string' }, 'agent-args': { type: 'string' }, top: { type: 'string' }, 'steady-only': { type: 'boolean' } },
});
const pods = Number(args.pods ?? 100);
const seconds = Number(args['steady-seconds'] ?? 30);
const dir = path.join(REPO, 'bench/results/profiles');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

cleanupOnSignals();
const rt = await connect();
await ensureImage(rt.cri);
const extraArgs = args['agent-args']?.split(' ').filter(Boolean);
const profiled = { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`], extraArgs };
// --steady-only: an unprofiled agent makes the pods, a profiled one takes them over and idles.
let agent = await BenchAgent.start({ name: 'profile', endpoint: rt.endpoint, ...(args['steady-only'] ? { extraArgs } : profiled) });
const cleanup = onCleanup(() => agent.cleanup(rt.cri));
try {
  if (pods > 0) console.log(JSON.stringify({ figure: 'profile-burst', ...(await measureBurst(agent, rt, pods)) }));
  if (args['steady-only']) {
    await agent.stop('SIGKILL');
    agent = await BenchAgent.start({ name: 'profile', endpoint: rt.endpoint, takeOver: agent, ...profiled });
  }
  if (seconds > 0) console.log(JSON.stringify({ ...(await runSteady(agent, { pods, seconds })), figure: 'profile-steady' }));
  // SIGTERM: the agent shuts down and node writes the profile.
  await agent.stop('SIGTERM', 30_000);
} finally {
  await cleanup();
  rt.cri.close();
}
for (const f of readdirSync(dir).filter((n) => n.endsWith('.cpuprofile'))) {
  const s = summarizeProfile(path.join(dir, f), Number(args.top ?? 30));
  console.log(`\n${f}: ${s.totalMs} ms sampled, ${s.totalMs - s.idleMs} ms busy`);
  console.log('-- self');
  for (const e of s.self) console.log(`${String(e.ms).padStart(7)} ms  ${e.fn}`);
  console.log('-- inclusive');
  for (const e of s.inclusive) console.log(`${String(e.ms).padStart(7)} ms  ${e.fn}`);
}
