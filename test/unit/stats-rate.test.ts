// usageNanoCores from two samples of cumulative CPU time: the first sample, the rate, a too-short window, a counter reset, pruning.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CpuRateCache } from '../../src/stats/rate.js';

const S = 1e9; // one second in ns

describe('CpuRateCache.sample', () => {
  const cases: Array<{ name: string; samples: Array<[usageNs: number, atNs: number]>; want: Array<number | undefined> }> = [
    { name: 'the first sample has no rate', samples: [[5 * S, 100 * S]], want: [undefined] },
    { name: 'half a core over one second', samples: [[0, 100 * S], [0.5 * S, 101 * S]], want: [undefined, 0.5e9] },
    { name: 'two cores over two seconds', samples: [[10 * S, 100 * S], [14 * S, 102 * S]], want: [undefined, 2e9] },
    { name: 'idle is a rate of 0, not absent', samples: [[3 * S, 100 * S], [3 * S, 105 * S]], want: [undefined, 0] },
    {
      name: 'a sample inside the minimum window answers the last rate and keeps the older sample',
      samples: [[0, 100 * S], [1 * S, 101 * S], [1.9 * S, 101.1 * S], [2 * S, 102 * S]],
      // The third sample would give 9 cores over 100 ms; the fourth is rated against the second.
      want: [undefined, 1e9, 1e9, 1e9],
    },
    { name: 'a read right after the first sample has no rate yet', samples: [[0, 100 * S], [0.1 * S, 100.2 * S]], want: [undefined, undefined] },
    { name: 'a counter that went down is a new object: start over', samples: [[9 * S, 100 * S], [1 * S, 101 * S], [2 * S, 102 * S]], want: [undefined, undefined, 1e9] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const cache = new CpuRateCache({ minWindowMs: 1000 });
      assert.deepEqual(c.samples.map(([u, t]) => cache.sample('k', u, t)), c.want);
    });
  }

  it('keys are independent', () => {
    const cache = new CpuRateCache();
    cache.sample('a', 0, 0);
    cache.sample('b', 0, 0);
    assert.equal(cache.sample('a', 1 * S, 1 * S), 1e9);
    assert.equal(cache.sample('b', 3 * S, 1 * S), 3e9);
  });
});

describe('CpuRateCache.readOnly', () => {
  it('answers the last computed rate and never moves the kept sample', () => {
    const cache = new CpuRateCache({ minWindowMs: 1000 });
    const view = cache.readOnly();
    assert.equal(view.sample('k', 0, 0), undefined, 'nothing kept yet');
    cache.sample('k', 0, 0);
    assert.equal(view.sample('k', 5 * S, 1 * S), undefined, 'no rate computed yet: the view does not compute one');
    assert.equal(cache.sample('k', 2 * S, 2 * S), 1e9, 'the view did not replace the sample at 0');
    assert.equal(view.sample('k', 99 * S, 3 * S), 1e9, 'the view answers the last rate');
    assert.equal(cache.sample('k', 4 * S, 4 * S), 1e9, 'and the kept sample is still the one at 2s');
  });
});

describe('CpuRateCache.prune', () => {
  it('drops entries not kept for longer than maxAge, keeps the rest', () => {
    const cache = new CpuRateCache({ maxAgeMs: 60_000 });
    cache.sample('old', 0, 0);
    cache.sample('new', 0, 50 * S);
    cache.prune(70 * S);
    assert.equal(cache.size, 1);
    // 'old' is gone: its next sample is a first sample again.
    assert.equal(cache.sample('old', 1 * S, 71 * S), undefined);
    assert.equal(cache.sample('new', 21 * S, 71 * S), 1e9);
  });
});
