// `mini-kubelet describe pod` against a running agent on the real containerd: layout, probes, and events in order with counts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { containerStatus, podYaml, startAgent, type Agent } from '../support/agent.js';
import { REPO_DIR } from '../support/runtime.js';

const run = promisify(execFile);
let agent: Agent;

before(async () => {
  agent = await startAgent({ name: 'describe' });
});
after(async () => {
  await agent?.cleanup();
});

async function describePod(name: string): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    [path.join(REPO_DIR, 'bin/mini-kubelet.js'), 'describe', 'pod', name, '--server', `http://127.0.0.1:${agent.port}`],
    // Generous: on a loaded machine starting node alone can take many seconds.
    { cwd: REPO_DIR, timeout: 120_000 },
  );
  return stdout;
}

/** The Events table rows as {type, reason, age, from, message}. */
function eventRows(text: string): { type: string; reason: string; age: string; from: string; message: string }[] {
  const table = text.split('\nEvents:\n')[1] ?? '';
  return table
    .split('\n')
    .slice(2)
    .filter((l) => l.trim())
    .map((l) => {
      const [type = '', reason = '', age = '', from = '', ...message] = l.trim().split(/\s{2,}/);
      return { type, reason, age, from, message: message.join('  ') };
    });
}

describe('describe pod', { timeout: 120_000 }, () => {
  it('shows the pod, its probes and its events in order, repeats counted', async () => {
    agent.writeManifest('shown.yaml', podYaml('shown', `
  terminationGracePeriodSeconds: 1
  containers:
    - name: web
      image: busybox-httpd:1.36
      ports:
        - name: http
          containerPort: 8080
      livenessProbe:
        httpGet:
          path: /
          port: 8080
      readinessProbe:
        httpGet:
          path: /not-there
          port: http
        periodSeconds: 1
`));
    // The readiness probe fails every second: its event repeats. A probe made before httpd binds
    // fails with "connection refused" instead, a row of its own: only the 404 rows are counted.
    const notFound = 'Readiness probe failed: HTTP probe failed with statuscode: 404';
    const unhealthy404 = (rows: ReturnType<typeof eventRows>) => rows.filter((r) => r.reason === 'Unhealthy' && r.message === notFound);
    await agent.waitFor('three readiness failures', async () => {
      const rows = unhealthy404(eventRows(await describePod('shown')));
      return rows.some((r) => /\(x([3-9]|\d\d+) over \d+s\)/.test(r.age));
    }, 60_000);
    const text = await describePod('shown');
    const pod = await agent.pod('shown');

    assert.match(text, new RegExp(`^Name:\\s+shown-${agent.nodeName}\\n`));
    assert.match(text, /\nNamespace:\s+default\n/);
    assert.match(text, new RegExp(`\\nNode:\\s+${agent.nodeName}/`));
    assert.match(text, /\nStatus:\s+Running\n/);
    assert.match(text, new RegExp(`\\nIP:\\s+${pod?.status?.podIP?.replace(/\./g, '\\.')}\\n`));
    assert.match(text, new RegExp(`\\n    Container ID:\\s+${containerStatus(pod, 'web')?.containerID}\\n`));
    assert.match(text, /\n    Port:\s+8080\/TCP \(http\)\n/);
    assert.match(text, /\n    State:\s+Running\n      Started:\s+\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\n/);
    assert.match(text, /\n    Ready:\s+False\n/);
    assert.match(text, /\n    Liveness:\s+http-get http:\/\/:8080\/ delay=0s timeout=1s period=10s #success=1 #failure=3\n/);
    assert.match(text, /\n    Readiness:\s+http-get http:\/\/:http\/not-there delay=0s timeout=1s period=1s #success=1 #failure=3\n/);
    assert.match(text, /\nConditions:\n  Type\s+Status\n(  \w+\s+(True|False) \n)+/);
    assert.match(text, /\n  ContainersReady\s+False \n/);
    assert.match(text, /\nQoS Class:\s+BestEffort\n/);

    const rows = eventRows(text);
    const reasons = rows.map((r) => r.reason);
    // The pod's life in order: the image, the container, then the probe failures (last seen last).
    const at = (reason: string) => reasons.indexOf(reason);
    assert.ok(at('Pulled') >= 0 && at('Created') > at('Pulled') && at('Started') > at('Created') && at('Unhealthy') > at('Started'), reasons.join(','));
    assert.ok(rows.every((r) => r.from === 'kubelet'));
    const notFoundRows = unhealthy404(rows);
    assert.equal(notFoundRows.length, 1, 'repeats are one row with a count');
    const unhealthy = notFoundRows[0]!;
    assert.equal(unhealthy.type, 'Warning');
    assert.match(unhealthy.age, /^\d+s \(x\d+ over \d+s\)$/);
  });

  it('an unknown pod is NotFound, exit code 1', async () => {
    await assert.rejects(describePod('nope'), (err: { code?: number; stderr?: string }) => {
      assert.equal(err.code, 1);
      assert.match(err.stderr ?? '', /Error from server \(NotFound\): pods "nope" not found/);
      return true;
    });
  });
});
