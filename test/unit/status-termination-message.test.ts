// Termination messages: from the message file (last 4 KiB), and from the CRI log tail under FallbackToLogsOnError.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  criLogContent,
  readTerminationMessage,
  readTerminationMessages,
  tailLogFile,
} from '../../src/status/termination-message.js';
import {
  CONTAINER_TERMINATION_MESSAGE_PATH_ANNOTATION,
  TERMINATION_MESSAGE_HOST_PATH_ANNOTATION,
} from '../../src/runtime/labels.js';
import { aContainer, anObservedPod } from '../support/observed-builders.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mk-termmsg-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A CRI log line as containerd writes it. */
const line = (stream: 'stdout' | 'stderr', tag: 'P' | 'F', text: string) => `2026-01-01T00:00:00.000000001Z ${stream} ${tag} ${text}\n`;

async function fixture(name: string, opts: { message?: string; log?: string } = {}) {
  const msgPath = join(dir, `${name}.msg`);
  const logPath = join(dir, `${name}.log`);
  if (opts.message !== undefined) await writeFile(msgPath, opts.message);
  if (opts.log !== undefined) await writeFile(logPath, opts.log);
  return { msgPath, logPath };
}

describe('readTerminationMessage', () => {
  it('reads the message file named by the executor annotation', async () => {
    const { msgPath } = await fixture('file', { message: 'bye' });
    const c = aContainer('app', { state: 'exited', annotations: { [TERMINATION_MESSAGE_HOST_PATH_ANNOTATION]: msgPath } });
    assert.equal(await readTerminationMessage(c, 'File'), 'bye');
  });

  it('finds the file through the mount at terminationMessagePath when there is no annotation', async () => {
    const { msgPath } = await fixture('mount', { message: 'via mount' });
    const c = aContainer('app', {
      state: 'exited',
      annotations: { [CONTAINER_TERMINATION_MESSAGE_PATH_ANNOTATION]: '/dev/termination-log' },
      mounts: [
        { containerPath: '/data', hostPath: '/nowhere' },
        { containerPath: '/dev/termination-log', hostPath: msgPath },
      ],
    });
    assert.equal(await readTerminationMessage(c, 'File'), 'via mount');
  });

  it('keeps only the last 4096 bytes of a long file', async () => {
    const { msgPath } = await fixture('long', { message: 'A'.repeat(5000) + 'B'.repeat(4000) + 'END' });
    const c = aContainer('app', { state: 'exited', annotations: { [TERMINATION_MESSAGE_HOST_PATH_ANNOTATION]: msgPath } });
    const got = await readTerminationMessage(c, 'File');
    assert.equal(got.length, 4096);
    assert.ok(got.endsWith('END'));
    assert.ok(got.startsWith('A'.repeat(93) + 'B'));
  });

  it('is empty for a container that has not exited', async () => {
    const { msgPath } = await fixture('running', { message: 'not yet' });
    const c = aContainer('app', { annotations: { [TERMINATION_MESSAGE_HOST_PATH_ANNOTATION]: msgPath } });
    assert.equal(await readTerminationMessage(c, 'File'), '');
  });

  const fallbackCases: { name: string; message?: string; exitCode: number; policy: 'File' | 'FallbackToLogsOnError'; reason?: string; want: string }[] = [
    { name: 'empty file, failed, FallbackToLogsOnError: the log tail', message: '', exitCode: 2, policy: 'FallbackToLogsOnError', want: 'panic: boom\ngoroutine 1\n' },
    { name: 'missing file, failed, FallbackToLogsOnError: the log tail', exitCode: 2, policy: 'FallbackToLogsOnError', want: 'panic: boom\ngoroutine 1\n' },
    { name: 'empty file, failed, File policy: nothing', message: '', exitCode: 2, policy: 'File', want: '' },
    { name: 'empty file, exited 0, FallbackToLogsOnError: nothing', message: '', exitCode: 0, policy: 'FallbackToLogsOnError', want: '' },
    { name: 'file has text, failed, FallbackToLogsOnError: the file wins', message: 'from file', exitCode: 2, policy: 'FallbackToLogsOnError', want: 'from file' },
    { name: 'ContainerCannotRun has no logs to read', message: '', exitCode: 128, policy: 'FallbackToLogsOnError', reason: 'ContainerCannotRun', want: '' },
  ];
  for (const [i, t] of fallbackCases.entries()) {
    it(t.name, async () => {
      const { msgPath, logPath } = await fixture(`fb${i}`, {
        message: t.message,
        log: line('stdout', 'F', 'starting') + line('stderr', 'P', 'panic: ') + line('stderr', 'F', 'boom') + line('stderr', 'F', 'goroutine 1'),
      });
      const c = aContainer('app', {
        state: 'exited',
        exitCode: t.exitCode,
        reason: t.reason ?? (t.exitCode ? 'Error' : 'Completed'),
        logPath,
        annotations: { [TERMINATION_MESSAGE_HOST_PATH_ANNOTATION]: msgPath },
      });
      // Three lines of tail: "starting" falls off, the partial "panic: " joins "boom".
      const got = await readTerminationMessage(c, t.policy, { logTail: (p, n) => tailLogFile(p, Math.min(n, 3)) });
      assert.equal(got, t.want);
    });
  }

  it('the policy defaults to the container annotation', async () => {
    const { msgPath, logPath } = await fixture('annotated', { message: '', log: line('stdout', 'F', 'last words') });
    const c = aContainer('app', {
      state: 'exited',
      exitCode: 1,
      logPath,
      annotations: {
        [TERMINATION_MESSAGE_HOST_PATH_ANNOTATION]: msgPath,
        'io.kubernetes.container.terminationMessagePolicy': 'FallbackToLogsOnError',
      },
    });
    assert.equal(await readTerminationMessage(c, undefined), 'last words\n');
  });

  it('the log fallback keeps the last 80 lines, then the last 2048 bytes', async () => {
    let log = '';
    for (let i = 0; i < 200; i++) log += line('stdout', 'F', `line ${i}`);
    const { logPath } = await fixture('many', { log });
    const c = aContainer('app', { state: 'exited', exitCode: 1, logPath });
    const got = await readTerminationMessage(c, 'FallbackToLogsOnError');
    assert.ok(got.startsWith('line 120\n'), got.slice(0, 20));
    assert.ok(got.endsWith('line 199\n'));

    let wide = '';
    for (let i = 0; i < 10; i++) wide += line('stdout', 'F', `${i}`.repeat(500));
    const { logPath: widePath } = await fixture('wide', { log: wide });
    const w = await readTerminationMessage(aContainer('app', { state: 'exited', exitCode: 1, logPath: widePath }), 'FallbackToLogsOnError');
    assert.equal(Buffer.byteLength(w), 2048);
    assert.ok(w.endsWith('9'.repeat(500) + '\n'));
  });

  it('an unreadable log gives the kubelet’s error text', async () => {
    const c = aContainer('app', { state: 'exited', exitCode: 1, logPath: join(dir, 'absent.log') });
    const got = await readTerminationMessage(c, 'FallbackToLogsOnError');
    assert.match(got, /^Error on reading termination message from logs: .*ENOENT/);
  });
});

describe('criLogContent', () => {
  it('joins partial lines, ends full ones with a newline, skips malformed lines', () => {
    const raw = line('stdout', 'P', 'a') + line('stdout', 'P', 'b') + line('stdout', 'F', 'c') + 'garbage\n' + line('stderr', 'F', '');
    assert.equal(criLogContent(raw), 'abc\n\n');
  });
});

describe('readTerminationMessages', () => {
  it('reads exited containers only, by id, through a cache that drops gone containers', async () => {
    const { msgPath } = await fixture('batch', { message: 'done' });
    const exited = aContainer('job', { state: 'exited', annotations: { [TERMINATION_MESSAGE_HOST_PATH_ANNOTATION]: msgPath } });
    const running = aContainer('web', { annotations: { [TERMINATION_MESSAGE_HOST_PATH_ANNOTATION]: msgPath } });
    const cache = new Map([['gone-0', 'old']]);
    const got = await readTerminationMessages(anObservedPod({ containers: [exited, running] }), {}, cache);
    assert.deepEqual([...got], [['job-0', 'done']]);
    assert.deepEqual([...cache], [['job-0', 'done']]);
    // Served from the cache: the file changing does not matter any more.
    await writeFile(msgPath, 'changed');
    assert.equal((await readTerminationMessages(anObservedPod({ containers: [exited] }), {}, cache)).get('job-0'), 'done');
  });
});
