// CRI log line parsing and timestamps, and the /containerLogs query decoded and validated as the kubelet does.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatTimestamp, parseCriLogLine } from '../../src/logs/cri-line.js';
import { LogOptionsError, parsePodLogQuery, toLogOptions } from '../../src/logs/options.js';

describe('parseCriLogLine', () => {
  const cases: { name: string; line: string; want?: { stream: string; partial: boolean; content: string } }[] = [
    { name: 'a full stdout line', line: '2024-05-01T10:00:00.123Z stdout F hello world\n', want: { stream: 'stdout', partial: false, content: 'hello world' } },
    { name: 'a partial stderr chunk', line: '2024-05-01T10:00:00Z stderr P chunk', want: { stream: 'stderr', partial: true, content: 'chunk' } },
    { name: 'an empty line', line: '2024-05-01T10:00:00Z stdout F \n', want: { stream: 'stdout', partial: false, content: '' } },
    { name: 'extra tags after a colon', line: '2024-05-01T10:00:00+01:00 stdout P:x y', want: { stream: 'stdout', partial: true, content: 'y' } },
    { name: 'a bad timestamp', line: 'yesterday stdout F x' },
    { name: 'a bad stream', line: '2024-05-01T10:00:00Z stdin F x' },
    { name: 'no tag', line: '2024-05-01T10:00:00Z stdout' },
    { name: 'docker JSON is not CRI', line: '{"log":"x\\n","stream":"stdout","time":"2024-05-01T10:00:00Z"}' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const got = parseCriLogLine(Buffer.from(c.line));
      if (!c.want) return assert.equal(got, undefined);
      assert.deepEqual({ stream: got?.stream, partial: got?.partial, content: got?.content.toString() }, c.want);
    });
  }

  test('formatTimestamp pads to nine fractional digits (RFC3339NanoFixed) and keeps the zone', () => {
    assert.equal(formatTimestamp('2024-05-01T10:00:00Z'), '2024-05-01T10:00:00.000000000Z');
    assert.equal(formatTimestamp('2024-05-01T10:00:00.5+02:00'), '2024-05-01T10:00:00.500000000+02:00');
    assert.equal(formatTimestamp('2024-05-01T10:00:00.123456789Z'), '2024-05-01T10:00:00.123456789Z');
  });
});

describe('parsePodLogQuery', () => {
  const q = (s: string) => parsePodLogQuery(new URLSearchParams(s));

  test('defaults: everything off, all streams', () => {
    assert.deepEqual(q(''), { follow: false, previous: false, timestamps: false, stream: 'All', tailLines: undefined, limitBytes: undefined, sinceSeconds: undefined, sinceTime: undefined });
  });
  test('booleans as strconv.ParseBool reads them', () => {
    const o = q('follow=true&previous=1&timestamps=T');
    assert.equal(o.follow && o.previous && o.timestamps, true);
    assert.equal(q('follow=false').follow, false);
  });
  test('numbers, and the legacy tail parameter ("all" means no limit)', () => {
    assert.equal(q('tailLines=5&limitBytes=100').tailLines, 5);
    assert.equal(q('tail=7').tailLines, 7);
    assert.equal(q('tail=all&tailLines=3').tailLines, undefined);
    assert.equal(q('stream=Stderr').stream, 'Stderr');
  });

  const invalid: { name: string; query: string; status: number; message: RegExp }[] = [
    { name: 'a word for a number', query: 'tailLines=ten', status: 400, message: /tailLines="ten" is not an integer/ },
    { name: 'a word for a boolean', query: 'follow=yes', status: 400, message: /follow="yes" is not a boolean/ },
    { name: 'negative tailLines', query: 'tailLines=-1', status: 422, message: /tailLines: Invalid value: must be greater than or equal to 0/ },
    { name: 'limitBytes 0', query: 'limitBytes=0', status: 422, message: /limitBytes: Invalid value: must be greater than 0/ },
    { name: 'both since forms', query: 'sinceSeconds=5&sinceTime=2024-05-01T10:00:00Z', status: 422, message: /at most one of/ },
    { name: 'an unknown stream', query: 'stream=stdin', status: 422, message: /Unsupported value: "stdin"/ },
  ];
  for (const c of invalid) {
    test(`refused: ${c.name}`, () => {
      assert.throws(() => q(c.query), (err: unknown) => err instanceof LogOptionsError && err.status === c.status && c.message.test(err.message));
    });
  }

  test('toLogOptions: sinceSeconds counts back from now; a later sinceTime wins', () => {
    const now = Date.parse('2024-05-01T10:00:00Z');
    assert.equal(toLogOptions(q('sinceSeconds=60'), now).since, now - 60_000);
    assert.equal(toLogOptions(q('sinceTime=2024-05-01T09:00:00Z'), now).since, Date.parse('2024-05-01T09:00:00Z'));
    assert.equal(toLogOptions(q('tailLines=3'), now).tail, 3);
  });
});
