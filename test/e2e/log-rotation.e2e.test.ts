// Container log rotation end to end against containerd: a chatty pod's log is rotated (1Ki, 3 files), older files gzipped, logs still answer, and removal takes every file.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { MINI_KUBELET_BIN, podYaml, startAgent, type Agent } from '../support/agent.js';
import { REPO_DIR } from '../support/runtime.js';

const MAX_FILES = 3;
let agent: Agent;

before(async () => {
  // The kubelet's shortest monitor interval (3s), and GC every 5s for the removal at the end.
  agent = await startAgent({
    name: 'logrot',
    extraArgs: ['--container-log-max-size', '1Ki', '--container-log-max-files', String(MAX_FILES), '--container-log-monitor-interval', '3s', '--container-gc-period', '5s'],
  });
});
after(async () => {
  await agent?.cleanup();
});

/** `mini-kubelet logs ARGS` as a user runs it (the bin on the build); its exit code and stdout. */
async function logs(...args: string[]): Promise<{ code: number; stdout: string }> {
  const argv = [MINI_KUBELET_BIN, 'logs', ...args, '--server', `http://127.0.0.1:${agent.port}`];
  try {
    const { stdout } = await promisify(execFile)(process.execPath, argv, { cwd: REPO_DIR, timeout: 60_000 });
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '' };
  }
}

const CRI_LINE = /^\S+ stdout F chatter \d+ x+$/;

describe('log rotation', () => {
  it('rotates a chatty log: live 0.log, the newest rotated plain, older ones .gz, never more than --container-log-max-files', async () => {
    // ~200 bytes (with the CRI prefix) every 50 ms: about 4 KiB/s, so every 3s check finds more than 1Ki.
    agent.writeManifest('chatty.yaml', podYaml('chatty', `
  terminationGracePeriodSeconds: 2
  containers:
    - name: talker
      image: busybox:1.36
      command: ["sh", "-c", "trap 'exit 0' TERM; i=0; while true; do i=$((i+1)); echo chatter $i ${'x'.repeat(140)}; sleep 0.05; done"]
`));
    const pod = await agent.waitPod('chatty', 'running', (p) => p.status?.phase === 'Running', 90_000);
    const podDir = path.join(agent.podLogsDir, `default_${pod.metadata!.name}_${pod.metadata!.uid}`);
    const dir = path.join(podDir, 'talker');
    // A follower started now must read on across every rotation below, losing no line.
    const follow = new AbortController();
    let followed = '';
    const following = fetch(`http://127.0.0.1:${agent.port}/containerLogs/default/${pod.metadata!.name}/talker?follow=true`, { signal: follow.signal })
      .then(async (res) => {
        for await (const chunk of res.body!) followed += Buffer.from(chunk).toString('utf8');
      })
      .catch(() => undefined);
    // Sampled every 50 ms for the whole test, so a moment over the cap (mid-compression, say) shows.
    let most = 0;
    let gzText = '';
    const over: string[] = [];
    const sampler = setInterval(() => {
      try {
        const names = readdirSync(dir);
        most = Math.max(most, names.length);
        if (names.length > MAX_FILES) over.push(names.join(' '));
      } catch {
        /* not made yet */
      }
    }, 50);
    try {
      const files = await agent.waitFor('a live log, a plain rotated one and a .gz', () => {
        const names = existsSync(dir) ? readdirSync(dir) : [];
        const rotated = names.filter((n) => /^0\.log\.\d{8}-\d{6}$/.test(n));
        const gz = names.filter((n) => /^0\.log\.\d{8}-\d{6}\.gz$/.test(n));
        // A plain file beside its own .gz is a compression finishing (its original is removed
        // next), not a state to judge: wait until it settles.
        if (rotated.some((r) => gz.includes(`${r}.gz`))) return undefined;
        return names.includes('0.log') && rotated.length === 1 && gz.length === 1 ? { rotated: rotated[0]!, gz: gz[0]! } : undefined;
      }, 40_000);
      assert.ok(files.gz < files.rotated, `the .gz (${files.gz}) is older than the plain rotated file (${files.rotated})`);

      // A rotated file is the container's own CRI lines, whole, at least 1Ki; the .gz gunzips to them.
      gzText = await agent.waitFor('a .gz to read', () => {
        const gz = readdirSync(dir).find((n) => n.endsWith('.gz'));
        return gz && gunzipSync(readFileSync(path.join(dir, gz))).toString('utf8');
      }, 10_000);
      const lines = gzText.trimEnd().split('\n');
      assert.ok(gzText.length >= 1024, `a rotated file was at least 1Ki (${gzText.length})`);
      assert.ok(lines.every((l) => CRI_LINE.test(l)), `CRI lines: ${lines.find((l) => !CRI_LINE.test(l))}`);
      // A few more checks' worth of rotations under the sampler.
      await new Promise((r) => setTimeout(r, 7_000));
    } finally {
      clearInterval(sampler);
    }
    assert.deepEqual(over, [], `never more than ${MAX_FILES} files`);
    assert.equal(most, MAX_FILES);

    // containerd reopened the live log and writes on into it.
    await agent.waitFor('the live log grows after a rotation', () => statSync(path.join(dir, '0.log')).size > 0, 10_000);

    // The readers read the live file and still answer (retried: just after a rotation it may hold under 3 lines).
    const cliLines = await agent.waitFor('logs --tail 3 answers from the live file', async () => {
      const cli = await logs('chatty', '--tail', '3');
      const got = cli.stdout.trimEnd().split('\n');
      return cli.code === 0 && got.length === 3 ? got : undefined;
    }, 20_000);
    assert.ok(cliLines.every((l) => /^chatter \d+ x+$/.test(l)), cliLines.join('\n'));
    const body = await agent.waitFor('containerLogs?tailLines=2 answers', async () => {
      const res = await fetch(`http://127.0.0.1:${agent.port}/containerLogs/default/${pod.metadata!.name}/talker?tailLines=2`);
      const text = res.status === 200 ? await res.text() : '';
      return text.split('\n').length === 3 ? text : undefined;
    }, 20_000);
    assert.match(body, /^chatter \d+ x+\nchatter \d+ x+\n$/);

    // The follower went on from file to file: consecutive numbers, well past the rotated-away ones.
    const lastRotated = Math.max(...[...gzText.matchAll(/chatter (\d+)/g)].map((m) => Number(m[1])));
    await agent.waitFor('the follower past the rotated lines', () => Number(/chatter (\d+) x+\n$/.exec(followed)?.[1] ?? 0) > lastRotated + 20, 20_000);
    follow.abort();
    await following;
    const numbers = [...followed.matchAll(/^chatter (\d+) x+$/gm)].map((m) => Number(m[1]));
    const gaps = numbers.slice(1).filter((n, i) => n !== numbers[i]! + 1);
    assert.deepEqual(gaps, [], `the follower lost no line across the rotations (${numbers[0]}..${numbers.at(-1)})`);

    // Removing the manifest: the pod goes, and with it every file of its log, rotated or not.
    agent.removeManifest('chatty.yaml');
    await agent.waitFor('the pod log directory removed', () => !existsSync(podDir), 90_000);
  });
});
