// The CRI log reader on real files: joined partial lines, streams, tail, timestamps, limits, since, and following across a restart.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { LogOptions } from '../../src/logs/options.js';
import { readLogs, type FollowSource, type LogInstance } from '../../src/logs/reader.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mk-logs-reader-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** A CRI log file from short specs "<stream> <P|F> <content>", stamped one second apart. */
function criFile(lines: string[], name = `f${files++}.log`): string {
  const p = path.join(dir, name);
  writeFileSync(p, lines.map(criLine).join(''));
  return p;
}
let second = 0;
function criLine(spec: string): string {
  second++;
  const [stream, tag, ...rest] = spec.split(' ');
  return `2024-05-01T10:00:${String(second % 60).padStart(2, '0')}.5Z ${stream} ${tag} ${rest.join(' ')}\n`;
}

const ALL: LogOptions = { follow: false, timestamps: false, stream: 'All' };

async function read(file: string, opts: Partial<LogOptions> = {}, follow?: FollowSource, signal?: AbortSignal): Promise<string> {
  let out = '';
  const instance: LogInstance = { containerId: 'c0', path: file, restartCount: 0 };
  await readLogs(instance, { ...ALL, ...opts }, { write: (b) => void (out += b.toString()) }, { follow, signal, pollMs: 20 });
  return out;
}

describe('readLogs (one file)', () => {
  const cases: { name: string; lines: string[]; opts?: Partial<LogOptions>; want: string }[] = [
    { name: 'full lines come out with their newline', lines: ['stdout F a', 'stderr F b'], want: 'a\nb\n' },
    { name: 'partial chunks are joined up to their full chunk', lines: ['stdout P ab', 'stdout P cd', 'stdout F ef'], want: 'abcdef\n' },
    {
      name: 'partial chunks join per stream when stdout and stderr interleave',
      lines: ['stdout P out-', 'stderr F err', 'stdout F line'],
      want: 'err\nout-line\n',
    },
    { name: 'an empty line stays an empty line', lines: ['stdout F ', 'stdout F x'], want: '\nx\n' },
    { name: 'content keeps its own spaces', lines: ['stdout F  two  spaces '], want: ' two  spaces \n' },
    { name: 'an unterminated last line comes out without a newline', lines: ['stdout F a', 'stdout P no newline'], want: 'a\nno newline' },
    { name: 'malformed lines are skipped', lines: ['stdout F a', 'bogus X line', 'stdout F b'], want: 'a\nb\n' },
    { name: 'stream Stdout', lines: ['stdout F a', 'stderr F b', 'stdout F c'], opts: { stream: 'Stdout' }, want: 'a\nc\n' },
    { name: 'stream Stderr', lines: ['stdout F a', 'stderr F b', 'stdout F c'], opts: { stream: 'Stderr' }, want: 'b\n' },
    { name: 'tail 2', lines: ['stdout F 1', 'stdout F 2', 'stdout F 3'], opts: { tail: 2 }, want: '2\n3\n' },
    { name: 'tail 0 prints nothing', lines: ['stdout F 1'], opts: { tail: 0 }, want: '' },
    { name: 'tail larger than the file prints it all', lines: ['stdout F 1', 'stdout F 2'], opts: { tail: 10 }, want: '1\n2\n' },
    {
      name: 'tail counts a joined line once',
      lines: ['stdout F 1', 'stdout P 2a', 'stdout P 2b', 'stdout F 2c', 'stdout F 3'],
      opts: { tail: 2 },
      want: '2a2b2c\n3\n',
    },
    { name: 'tail counts a trailing partial as a line', lines: ['stdout F 1', 'stdout F 2', 'stdout P 3'], opts: { tail: 2 }, want: '2\n3' },
    {
      name: 'tail counts only the selected stream',
      lines: ['stderr F e1', 'stdout F o1', 'stderr F e2', 'stdout F o2', 'stdout F o3'],
      opts: { tail: 2, stream: 'Stderr' },
      want: 'e1\ne2\n',
    },
    { name: 'limitBytes cuts inside a line and stops', lines: ['stdout F hello', 'stdout F world'], opts: { bytes: 8 }, want: 'hello\nwo' },
    { name: 'limitBytes counts the timestamps too', lines: ['stdout F hello'], opts: { bytes: 10, timestamps: true }, want: '2024-05-01' },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      assert.equal(await read(criFile(c.lines), c.opts), c.want);
    });
  }

  test('timestamps: RFC3339 with nine fractional digits, the first chunk stamping a joined line', async () => {
    const p = path.join(dir, 'ts.log');
    writeFileSync(p, '2024-05-01T10:00:00.1Z stdout P a\n2024-05-01T10:00:01.123456789Z stdout F b\n2024-05-01T10:00:02+02:00 stderr F c\n');
    assert.equal(
      await read(p, { timestamps: true }),
      '2024-05-01T10:00:00.100000000Z ab\n2024-05-01T10:00:02.000000000+02:00 c\n',
    );
  });

  test('since skips the lines stamped before it', async () => {
    const p = path.join(dir, 'since.log');
    writeFileSync(p, '2024-05-01T10:00:00Z stdout F old\n2024-05-01T10:00:05.5Z stdout F new\n');
    assert.equal(await read(p, { since: Date.parse('2024-05-01T10:00:05Z') }), 'new\n');
  });

  test('a last line still being written (no newline) is printed when not following', async () => {
    const p = path.join(dir, 'cut.log');
    writeFileSync(p, '2024-05-01T10:00:00Z stdout F a\n2024-05-01T10:00:01Z stdout F b');
    assert.equal(await read(p), 'a\nb\n');
  });

  test('tail and joining across the 64 KiB read blocks, and a line longer than a block', async () => {
    const long = 'x'.repeat(100_000);
    const lines = Array.from({ length: 3000 }, (_, i) => `stdout F line-${i}`);
    lines.push(`stdout P ${long.slice(0, 70_000)}`, `stdout F ${long.slice(70_000)}`, 'stdout F last');
    const p = criFile(lines);
    assert.equal(await read(p, { tail: 3 }), `line-2999\n${long}\nlast\n`);
    const all = await read(p);
    assert.equal(all.split('\n').length, 3000 + 2 + 1);
  });

  test('a file that does not exist fails', async () => {
    await assert.rejects(read(path.join(dir, 'missing.log')), /ENOENT/);
  });
});

describe('readLogs (follow)', () => {
  /** A follow source over a list of instances, each running until told otherwise. */
  function containers(instances: LogInstance[]) {
    const running = new Set(instances.map((i) => i.containerId));
    let restarts = 'wait' as 'wait' | 'done';
    const source: FollowSource = {
      isRunning: (i) => running.has(i.containerId),
      next: (i) => instances.find((x) => x.restartCount === i.restartCount + 1) ?? restarts,
    };
    return { source, exit: (id: string) => running.delete(id), noMoreRestarts: () => (restarts = 'done') };
  }

  async function until(what: string, check: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(check(), `timed out waiting for ${what}`);
  }

  test('follows appended lines, survives a restart into the next file, ends when no restart will come', async () => {
    const first = criFile(['stdout F one'], 'c0-0.log');
    const second = path.join(dir, 'c0-1.log'); // created only when the next instance starts
    const c = containers([
      { containerId: 'c0', path: first, restartCount: 0 },
      { containerId: 'c1', path: second, restartCount: 1 },
    ]);
    let out = '';
    const done = readLogs({ containerId: 'c0', path: first, restartCount: 0 }, { ...ALL, follow: true }, { write: (b) => void (out += b.toString()) }, {
      follow: c.source,
      pollMs: 20,
    });
    await until('the first line', () => out === 'one\n');
    appendFileSync(first, criLine('stdout P tw') + criLine('stdout F o'));
    await until('the appended line', () => out === 'one\ntwo\n');
    appendFileSync(first, criLine('stdout F three'));
    c.exit('c0');
    await until('the drained line after exit', () => out === 'one\ntwo\nthree\n');
    writeFileSync(second, criLine('stdout F after restart'));
    await until('the next instance', () => out.endsWith('after restart\n'));
    c.exit('c1');
    c.noMoreRestarts();
    await done;
    assert.equal(out, 'one\ntwo\nthree\nafter restart\n');
  });

  test('a rotation (the file renamed, a fresh one at the path) is followed into the fresh file', async () => {
    const file = criFile(['stdout F before'], 'rotating.log');
    const c = containers([{ containerId: 'c0', path: file, restartCount: 0 }]);
    let out = '';
    const done = readLogs({ containerId: 'c0', path: file, restartCount: 0 }, { ...ALL, follow: true }, { write: (b) => void (out += b.toString()) }, {
      follow: c.source,
      pollMs: 20,
    });
    await until('the first line', () => out === 'before\n');
    // The log manager: a last line into the old file, rename, then ReopenContainerLog makes a new one.
    appendFileSync(file, criLine('stdout F last of the old file'));
    renameSync(file, `${file}.20260101-000000`);
    await new Promise((r) => setTimeout(r, 60)); // a few force checks with no file at the path
    writeFileSync(file, criLine('stdout F after rotation'));
    await until('the fresh file', () => out.endsWith('after rotation\n'));
    appendFileSync(file, criLine('stdout F and more'));
    await until('a line appended to the fresh file', () => out.endsWith('and more\n'));
    c.exit('c0');
    c.noMoreRestarts();
    await done;
    assert.equal(out, 'before\nlast of the old file\nafter rotation\nand more\n');
  });

  test('with tail it starts at the last lines, then keeps following', async () => {
    const file = criFile(['stdout F 1', 'stdout F 2', 'stdout F 3']);
    const c = containers([{ containerId: 'c0', path: file, restartCount: 0 }]);
    let out = '';
    const done = readLogs({ containerId: 'c0', path: file, restartCount: 0 }, { ...ALL, follow: true, tail: 1 }, { write: (b) => void (out += b.toString()) }, {
      follow: c.source,
      pollMs: 20,
    });
    await until('the tail', () => out === '3\n');
    appendFileSync(file, criLine('stdout F 4'));
    await until('the next line', () => out === '3\n4\n');
    c.exit('c0');
    c.noMoreRestarts();
    await done;
  });

  test('an exited container with no restart to come: the follower reads to the end and stops', async () => {
    const file = criFile(['stdout F only', 'stdout P tail']);
    const c = containers([]);
    c.noMoreRestarts();
    assert.equal(await read(file, { follow: true }, c.source), 'only\ntail');
  });

  test('the signal ends a follower that waits', async () => {
    const file = criFile(['stdout F x']);
    const c = containers([{ containerId: 'c0', path: file, restartCount: 0 }]);
    const ac = new AbortController();
    const reading = read(file, { follow: true }, c.source, ac.signal);
    setTimeout(() => ac.abort(), 100);
    assert.equal(await reading, 'x\n');
  });

  test('limitBytes ends a follower', async () => {
    const file = criFile(['stdout F 12345']);
    const c = containers([{ containerId: 'c0', path: file, restartCount: 0 }]);
    let out = '';
    const done = readLogs({ containerId: 'c0', path: file, restartCount: 0 }, { ...ALL, follow: true, bytes: 9 }, { write: (b) => void (out += b.toString()) }, {
      follow: c.source,
      pollMs: 20,
    });
    await until('the first line', () => out === '12345\n');
    appendFileSync(file, criLine('stdout F 6789'));
    await done;
    assert.equal(out, '12345\n678');
  });
});
