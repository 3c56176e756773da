// The Prometheus text encoder for timestamped samples: order as client_golang's Gather, escaping, timestamps, special values, duplicates.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeText, formatValue, type MetricFamily } from '../../src/metrics/exposition.js';

const gauge = (name: string, samples: MetricFamily['samples'], help = 'h'): MetricFamily => ({ name, help, type: 'gauge', samples });

describe('encodeText', () => {
  const cases: { name: string; families: MetricFamily[]; want: string }[] = [
    { name: 'nothing to write is an empty body', families: [], want: '' },
    { name: 'a family with no samples is left out', families: [gauge('a', []), gauge('b', [{ value: 1 }])], want: '# HELP b h\n# TYPE b gauge\nb 1\n' },
    {
      name: 'a counter with a timestamp in whole milliseconds',
      families: [{ name: 'c_total', help: 'Cumulative.', type: 'counter', samples: [{ value: 12.5, timestampMs: 1700000000123.9 }] }],
      want: '# HELP c_total Cumulative.\n# TYPE c_total counter\nc_total 12.5 1700000000123\n',
    },
    {
      name: 'families sorted by name, whatever order they were collected in',
      families: [gauge('zeta', [{ value: 1 }]), gauge('alpha', [{ value: 2 }])],
      want: '# HELP alpha h\n# TYPE alpha gauge\nalpha 2\n# HELP zeta h\n# TYPE zeta gauge\nzeta 1\n',
    },
    {
      name: 'label pairs sorted by name; samples by label values in that order',
      families: [gauge('m', [
        { labels: { pod: 'b', namespace: 'ns', container: 'x' }, value: 1 },
        { labels: { pod: 'a', namespace: 'ns', container: 'x' }, value: 2 },
        { labels: { pod: 'z', namespace: 'kube', container: 'x' }, value: 3 },
        { labels: { pod: 'a', namespace: 'ns', container: 'a' }, value: 4 },
      ])],
      want: [
        '# HELP m h', '# TYPE m gauge',
        'm{container="a",namespace="ns",pod="a"} 4',
        'm{container="x",namespace="kube",pod="z"} 3',
        'm{container="x",namespace="ns",pod="a"} 2',
        'm{container="x",namespace="ns",pod="b"} 1',
        '',
      ].join('\n'),
    },
    {
      name: 'a second sample with the same labels is dropped, the first kept',
      families: [gauge('m', [{ labels: { pod: 'p' }, value: 1 }, { labels: { pod: 'p' }, value: 2 }, { labels: { pod: 'q' }, value: 3 }])],
      want: '# HELP m h\n# TYPE m gauge\nm{pod="p"} 1\nm{pod="q"} 3\n',
    },
    {
      name: 'label values escape backslash, quote and newline; HELP escapes backslash and newline only',
      families: [gauge('m', [{ labels: { l: 'a\\b"c\nd' }, value: 0 }], 'say "hi"\\\nbye')],
      want: '# HELP m say "hi"\\\\\\nbye\n# TYPE m gauge\nm{l="a\\\\b\\"c\\nd"} 0\n',
    },
    {
      name: 'a non-finite timestamp is left off',
      families: [gauge('m', [{ value: 1, timestampMs: NaN }])],
      want: '# HELP m h\n# TYPE m gauge\nm 1\n',
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(encodeText(c.families), c.want));
  }

  it('does not reorder the caller’s arrays', () => {
    const families = [gauge('b', [{ labels: { l: '2' }, value: 1 }, { labels: { l: '1' }, value: 2 }]), gauge('a', [{ value: 0 }])];
    encodeText(families);
    assert.deepEqual(families.map((f) => f.name), ['b', 'a']);
    assert.deepEqual(families[0]!.samples.map((s) => s.labels?.l), ['2', '1']);
  });
});

describe('formatValue', () => {
  const cases = [
    { name: 'an integer', v: 20971520, want: '20971520' },
    { name: 'a fraction', v: 0.25, want: '0.25' },
    { name: 'a large number in exponent form', v: 1e21, want: '1e+21' },
    { name: 'NaN', v: NaN, want: 'NaN' },
    { name: '+Inf', v: Infinity, want: '+Inf' },
    { name: '-Inf', v: -Infinity, want: '-Inf' },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(formatValue(c.v), c.want));
  }
});
