// Logs, termination messages and stdin/tty end to end: CRI log files from containerd, `mini-kubelet logs` (also -p and -f across a restart), and checks from inside containers.
import type { V1Pod } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { containerStatus, MINI_KUBELET_BIN, podYaml, startAgent, type Agent } from '../support/agent.js';
import { REPO_DIR } from '../support/runtime.js';

let agent: Agent;

before(async () => {
  agent = await startAgent({ name: 'logs' });
});
after(async () => {
  await agent?.cleanup();
});

/** The command line as a user runs it: bin/mini-kubelet.js on the build. */
function cliArgs(args: string[]): string[] {
  return [MINI_KUBELET_BIN, 'logs', ...args, '--server', `http://127.0.0.1:${agent.port}`];
}

/** Runs `mini-kubelet logs ARGS`; resolves with its exit code and output. */
async function logs(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, cliArgs(args), { cwd: REPO_DIR, timeout: 60_000, maxBuffer: 16 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function podWhere(name: string, what: string, ok: (p: V1Pod) => boolean, ms = 90_000): Promise<V1Pod> {
  return agent.waitFor(`${name}: ${what}`, async () => {
    const p = await agent.pod(name);
    return p && ok(p) ? p : undefined;
  }, ms);
}

const idOf = (containerID: string | undefined) => (containerID ?? '').replace(/^containerd:\/\//, '');
const LONG = 40_000; // more than containerd's max_container_log_line_size (16 KiB): written as P chunks

describe('logs', { concurrency: true }, () => {
  it('containerd writes <pod-logs-dir>/<ns>_<name>_<uid>/<container>/0.log in CRI format; logs prints it, joined, with --tail and --timestamps', async () => {
    agent.writeManifest('chatty.yaml', podYaml('chatty', `
  containers:
    - name: main
      image: busybox:1.36
      command: ["sh", "-c", "echo one; echo two >&2; sleep 1; echo three; head -c ${LONG} /dev/zero | tr '\\\\0' x; echo; echo last; exec sleep 3600"]
`));
    // stdout and stderr reach the log through two pipes, so their lines can land out of order;
    // the pause after the one stderr line keeps it ahead of the lines --tail reads below.
    const pod = await podWhere('chatty', 'running', (p) => !!containerStatus(p, 'main')?.state?.running);
    const file = path.join(agent.podLogsDir, `default_${pod.metadata!.name}_${pod.metadata!.uid}`, 'main', '0.log');
    const raw = await agent.waitFor('the log file ends with "last"', () => existsSync(file) && readFileSync(file, 'utf8').includes(' F last\n') && readFileSync(file, 'utf8'));
    const lines = raw.trimEnd().split('\n');
    for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d) (stdout|stderr) [PF] /);
    assert.ok(lines.some((l) => / stdout P x+$/.test(l)), 'the long line was cut into partial chunks');
    assert.ok(lines.some((l) => / stderr F two$/.test(l)));

    const all = await logs('chatty');
    assert.equal(all.code, 0, all.stderr);
    const out = all.stdout.split('\n');
    assert.deepEqual(out.filter((l) => l !== 'two'), ['one', 'three', 'x'.repeat(LONG), 'last', ''], 'stdout in order, the long line whole');
    assert.ok(out.includes('two'), 'stderr too');

    const tail = await logs('chatty', '--tail', '2');
    assert.equal(tail.stdout, `${'x'.repeat(LONG)}\nlast\n`, 'the joined line counts once');
    const stamped = await logs(`chatty-${agent.nodeName}`, '--tail=1', '--timestamps');
    assert.match(stamped.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) last\n$/);
    const bad = await logs('chatty', '-c', 'nope');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, new RegExp(`error: container nope is not valid for pod chatty-${agent.nodeName}`));
    const none = await logs('chatty', '-p');
    assert.equal(none.code, 1);
    assert.match(none.stderr, new RegExp(`previous terminated container "main" in pod "chatty-${agent.nodeName}" not found`));
  });

  it('-f follows across a container restart; --previous reads the instance before the restart', async () => {
    // Each instance counts itself in an emptyDir (which outlives restarts) and ticks until the test
    // tells it to fail, so nothing hangs on how fast this loaded machine starts processes.
    agent.writeManifest('crashy.yaml', podYaml('crashy', `
  volumes:
    - name: state
      emptyDir: {}
  containers:
    - name: main
      image: busybox:1.36
      volumeMounts:
        - { name: state, mountPath: /state }
      command:
        - sh
        - -c
        - |
          n=$(( $(cat /state/n 2>/dev/null || echo 0) + 1 )); echo $n > /state/n
          echo "life $n"
          i=0; while [ ! -e /state/end$n ]; do i=$((i+1)); echo "life $n tick $i"; sleep 1; done
          echo "life $n ends" >&2
          exit 1
`));
    const running = await podWhere('crashy', 'first instance running', (p) => !!containerStatus(p, 'main')?.state?.running);
    const follower = spawn(process.execPath, cliArgs(['crashy', '-f']), { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    follower.stdout.on('data', (d: Buffer) => (out += d.toString()));
    follower.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => follower.once('exit', (code) => resolve(code)));
    const seen = () => `so far: ${JSON.stringify(out.slice(-300))} ${err}`;
    try {
      await agent.waitFor(`the follower streams the first instance (${seen()})`, () => out.includes('life 1 tick 2\n'), 120_000);
      const ended = await agent.cri.execSync(idOf(containerStatus(running, 'main')?.containerID), ['touch', '/state/end1'], 10);
      assert.equal(ended.exitCode, 0);
      // Then 10s of crash-loop back-off, and the second instance.
      await agent.waitFor(`the follower sees the second instance (${seen()})`, () => out.includes('life 2 tick 1\n'), 120_000);
    } finally {
      follower.kill('SIGTERM');
    }
    await exited;
    const first = out.indexOf('life 1\n');
    assert.ok(first >= 0, `the first instance from its start: ${JSON.stringify(out.slice(0, 300))}`);
    assert.ok(out.indexOf('life 1 ends\n') > first, "the first instance's last line, drained after it exited");
    assert.ok(out.indexOf('life 2\n') > out.indexOf('life 1 ends\n'), 'then the second instance');

    const pod = await podWhere('crashy', 'second instance running', (p) => containerStatus(p, 'main')?.restartCount === 1 && !!containerStatus(p, 'main')?.state?.running);
    const status = containerStatus(pod, 'main')!;
    assert.ok(status.lastState?.terminated?.containerID, 'the first instance is the last terminated one');
    const previous = await logs('crashy', '--previous');
    assert.equal(previous.code, 0, previous.stderr);
    assert.match(previous.stdout, /^life 1\nlife 1 tick 1\n/);
    assert.match(previous.stdout, /life 1 ends\n$/);
    assert.doesNotMatch(previous.stdout, /life 2/);
    const current = await logs('crashy');
    assert.match(current.stdout, /^life 2\n/);
    // The previous instance's file is <restartCount>.log of that instance.
    const dir = path.join(agent.podLogsDir, `default_${pod.metadata!.name}_${pod.metadata!.uid}`, 'main');
    assert.deepEqual(readdirSync(dir).sort().slice(0, 2), ['0.log', '1.log']);
    assert.notEqual(idOf(status.containerID), idOf(status.lastState?.terminated?.containerID));
  });

  it('termination messages: from the file, from the log on error, none on success, and from a custom path as non-root', async () => {
    agent.writeManifest('term.yaml', podYaml('term', `
  restartPolicy: Never
  containers:
    - name: file
      image: busybox:1.36
      command: ["sh", "-c", "echo 'bye from the file' > /dev/termination-log; echo 'not this'; exit 3"]
    - name: fallback
      image: busybox:1.36
      terminationMessagePolicy: FallbackToLogsOnError
      command: ["sh", "-c", "echo 'first words'; echo 'last words' >&2; exit 1"]
    - name: success
      image: busybox:1.36
      terminationMessagePolicy: FallbackToLogsOnError
      command: ["sh", "-c", "echo 'all good'; exit 0"]
    - name: nonroot
      image: busybox-nonroot:1.36
      terminationMessagePath: /tmp/why
      command: ["sh", "-c", "id -u; echo 'written as uid 1000' > /tmp/why; exit 2"]
`));
    const pod = await podWhere('term', 'every container terminated', (p) =>
      ['file', 'fallback', 'success', 'nonroot'].every((c) => containerStatus(p, c)?.state?.terminated));
    const t = (c: string) => containerStatus(pod, c)!.state!.terminated!;
    assert.equal(t('file').exitCode, 3);
    assert.equal(t('file').message, 'bye from the file\n');
    assert.equal(t('fallback').exitCode, 1);
    const fallback = t('fallback').message ?? '';
    assert.ok(fallback.includes('first words\n') && fallback.includes('last words\n'), `the log tail: ${JSON.stringify(fallback)}`);
    assert.equal(t('success').exitCode, 0);
    assert.equal(t('success').message, undefined, 'a success does not fall back to the log');
    assert.equal(t('nonroot').exitCode, 2);
    assert.equal(t('nonroot').message, 'written as uid 1000\n', `message: ${JSON.stringify(t('nonroot').message)}; log: ${(await logs('term', '-c', 'nonroot')).stdout}`);
  });

  it('stdin and tty reach the container: fd 0 of its process is a terminal, a pipe, or /dev/null', async () => {
    agent.writeManifest('tty.yaml', podYaml('tty', `
  containers:
    - name: tty
      image: busybox:1.36
      stdin: true
      tty: true
      command: ["sh", "-c", "exec sleep 3600"]
    - name: stdin
      image: busybox:1.36
      stdin: true
      stdinOnce: true
      command: ["sh", "-c", "exec sleep 3600"]
    - name: plain
      image: busybox:1.36
      command: ["sh", "-c", "exec sleep 3600"]
`));
    const pod = await podWhere('tty', 'running', (p) => ['tty', 'stdin', 'plain'].every((c) => containerStatus(p, c)?.state?.running));
    const fd0 = async (c: string) => {
      const r = await agent.cri.execSync(idOf(containerStatus(pod, c)?.containerID), ['readlink', '/proc/1/fd/0'], 10);
      return r.stdout.toString().trim();
    };
    assert.match(await fd0('tty'), /^\/dev\/pts\/\d+$/);
    assert.match(await fd0('stdin'), /^pipe:\[\d+\]$/);
    assert.equal(await fd0('plain'), '/dev/null');
  });
});
