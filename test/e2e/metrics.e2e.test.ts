// /metrics against the real containerd: a running pod shows in kubelet_running_pods and its RunPodSandbox in kubelet_runtime_operations_total.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { podYaml, startAgent, type Agent } from '../support/agent.js';

let agent: Agent;

before(async () => {
  agent = await startAgent({ name: 'metrics' });
});
after(async () => {
  await agent?.cleanup();
});

async function scrape(): Promise<{ contentType: string | null; text: string }> {
  const res = await fetch(`http://127.0.0.1:${agent.port}/metrics`);
  assert.equal(res.status, 200);
  return { contentType: res.headers.get('content-type'), text: await res.text() };
}

/** A sample's value by its full series text, e.g. 'kubelet_runtime_operations_total{operation_type="run_podsandbox"}'. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/metrics', () => {
  it('a running pod: kubelet_running_pods 1, running containers, run_podsandbox counted, relists observed', async () => {
    agent.writeManifest('web.yaml', podYaml('web', `
  containers:
    - name: main
      image: busybox:1.36
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`));
    await agent.waitPod('web', 'Running', (p) => p.status?.phase === 'Running');
    // The cache the gauges read is the one /pods is built from, so Running there means counted here.
    const { contentType, text } = await agent.waitFor('kubelet_running_pods 1', async () => {
      const s = await scrape();
      return value(s.text, 'kubelet_running_pods') === 1 ? s : undefined;
    });
    assert.equal(contentType, 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(value(text, 'kubelet_running_containers{container_state="running"}'), 1);
    assert.ok((value(text, 'kubelet_runtime_operations_total{operation_type="run_podsandbox"}') ?? 0) >= 1, 'RunPodSandbox counted');
    assert.ok((value(text, 'kubelet_runtime_operations_total{operation_type="start_container"}') ?? 0) >= 1, 'StartContainer counted');
    assert.ok((value(text, 'kubelet_runtime_operations_total{operation_type="list_podsandbox"}') ?? 0) >= 2, 'relists list sandboxes');
    assert.ok((value(text, 'kubelet_pleg_relist_duration_seconds_count') ?? 0) >= 1, 'relists observed');
    const lastSeen = value(text, 'kubelet_pleg_last_seen_seconds') ?? 0;
    assert.ok(Math.abs(Date.now() / 1000 - lastSeen) < 10, `last seen ${lastSeen} is recent`);
    assert.ok((value(text, 'process_resident_memory_bytes') ?? 0) > 10 * 1024 * 1024, 'the agent’s RSS');
  });

  it("the agent runs with the bin's memory settings (1 MB semi-spaces, 2 malloc arenas), as users start it", () => {
    const pid = agent.pid();
    assert.ok(pid, 'the agent runs');
    // The bin is started through its first line, as npm's bin link and scripts/run.sh start it.
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    assert.ok(argv.includes('--max-semi-space-size=1'), argv.join(' '));
    assert.ok(env.includes('MALLOC_ARENA_MAX=2'), 'MALLOC_ARENA_MAX=2 in the agent\'s environment');
  });
});
