import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CoreV1Event } from '@kubernetes/client-node';
import pino from 'pino';
import { ApiEventSink } from '../../src/events/api-sink.js';
import { EventCorrelator, SPAM_BURST } from '../../src/events/correlator.js';
import type { PodEvent } from '../../src/events/recorder.js';
import { KubeApiError } from '../../src/kubeclient/errors.js';
import { FakeKube } from '../support/fake-kube.js';
import { FakeClock } from '../support/fake-prober-clock.js';

const logger = pino({ level: 'silent' });
const T0 = Date.parse('2024-05-01T10:00:00Z');

const podEvent = (over: Partial<PodEvent> = {}): PodEvent => ({
  uid: 'pod-uid', namespace: 'ns1', podName: 'web', type: 'Normal', reason: 'Pulled', message: 'Container image "busybox" already present on machine',
  fieldPath: 'spec.containers{c}', count: 1, firstTimestamp: T0, lastTimestamp: T0, source: 'kubelet', ...over,
});

function setup(opts: { maxQueued?: number } = {}) {
  const clock = new FakeClock(T0);
  const kube = new FakeKube(() => clock.now());
  const sink = new ApiEventSink({ events: kube.client().events, nodeName: 'n1', clock, logger, maxQueued: opts.maxQueued, random: () => 0.5 });
  const stored = () => [...kube.events.objects.values()] as unknown as CoreV1Event[];
  return { clock, kube, sink, stored };
}

describe('EventCorrelator (client-go events_cache.go)', () => {
  const event = (message: string, reason = 'BackOff'): CoreV1Event => ({
    metadata: { name: `x.${message}`, namespace: 'ns1' },
    involvedObject: { kind: 'Pod', namespace: 'ns1', name: 'web', uid: 'u' },
    reason, message, type: 'Warning', count: 1, source: { component: 'kubelet', host: 'n1' },
  });

  it('a repeat of a written event becomes a count patch on that event', () => {
    const c = new EventCorrelator(() => T0);
    const first = c.correlate(event('m'));
    assert.equal(first.patch, undefined);
    c.updateState({ ...first.event, metadata: { ...first.event.metadata, resourceVersion: '7' } });
    const again = c.correlate({ ...event('m'), metadata: { name: 'x.other', namespace: 'ns1' } });
    assert.equal(again.event.metadata?.name, 'x.m', 'the stored event\'s name');
    assert.equal(again.event.count, 2);
    assert.deepEqual(again.patch, { count: 2, lastTimestamp: undefined, message: 'm' });
  });

  it(`the spam filter lets ${SPAM_BURST} events per object through, then one per 5 minutes`, () => {
    let now = T0;
    const c = new EventCorrelator(() => now);
    const skipped = Array.from({ length: SPAM_BURST + 5 }, (_, i) => c.correlate(event(`m${i % 3}`)).skip);
    assert.equal(skipped.filter((s) => !s).length, SPAM_BURST);
    now += 300_000;
    assert.equal(c.correlate(event('m0')).skip, false);
    assert.equal(c.correlate(event('m0')).skip, true);
  });

  it('the tenth distinct message for one object and reason is combined', () => {
    const c = new EventCorrelator(() => T0);
    for (let i = 0; i < 9; i++) assert.equal(c.correlate(event(`m${i}`)).event.message, `m${i}`);
    const tenth = c.correlate(event('m9'));
    assert.equal(tenth.event.message, '(combined from similar events): m9');
  });
});

describe('ApiEventSink', () => {
  it('a pod event as the kubelet writes it: source kubelet on this node, the pod and container as involved object', async () => {
    const { sink, stored } = setup();
    sink.eventRecorded(podEvent());
    await sink.idle();
    const [e] = stored();
    assert.equal(e!.metadata?.namespace, 'ns1');
    assert.match(e!.metadata!.name!, /^web\.[0-9a-f]+$/);
    assert.deepEqual(e!.involvedObject, { kind: 'Pod', namespace: 'ns1', name: 'web', uid: 'pod-uid', apiVersion: 'v1', fieldPath: 'spec.containers{c}' });
    assert.deepEqual(e!.source, { component: 'kubelet', host: 'n1' });
    assert.equal(e!.reportingComponent, 'kubelet');
    assert.equal(e!.reportingInstance, 'n1');
    assert.equal(e!.count, 1);
    assert.deepEqual(e!.firstTimestamp, new Date(T0));
  });

  it('repeats patch count and lastTimestamp of one Event', async () => {
    const { sink, stored, kube, clock } = setup();
    sink.eventRecorded(podEvent());
    await sink.idle();
    await clock.advance(5_000);
    sink.eventRecorded(podEvent({ count: 2, lastTimestamp: clock.now() }));
    sink.eventRecorded(podEvent({ count: 3, lastTimestamp: clock.now() }));
    await sink.idle();
    assert.equal(stored().length, 1);
    assert.equal(stored()[0]!.count, 3);
    assert.deepEqual(new Date(stored()[0]!.lastTimestamp as unknown as string), new Date(T0 + 5_000));
    assert.equal(kube.callsOf('events', 'patch').length, 2);
  });

  it('a repeat of an Event that is gone is created again', async () => {
    const { sink, stored, kube } = setup();
    sink.eventRecorded(podEvent());
    await sink.idle();
    const name = stored()[0]!.metadata!.name!;
    kube.events.remove('ns1', name);
    sink.eventRecorded(podEvent({ count: 2 }));
    await sink.idle();
    assert.equal(stored()[0]!.count, 2);
    assert.equal(kube.callsOf('events', 'create').length, 2);
  });

  it('node events: namespace default, the node name as UID, as kubectl describe node looks them up', async () => {
    const { sink, stored } = setup();
    sink.nodeEvent('Normal', 'Starting', 'Starting kubelet.');
    await sink.idle();
    const [e] = stored();
    assert.equal(e!.metadata?.namespace, 'default');
    assert.deepEqual(e!.involvedObject, { kind: 'Node', name: 'n1', uid: 'n1', namespace: '' });
    assert.equal(e!.message, 'Starting kubelet.');
  });

  it('no answer: retried 10 s apart (the first wait random); a refusal is final', async () => {
    const { sink, stored, kube, clock } = setup();
    kube.failNext('events', 'create', new KubeApiError(0, 'Unavailable', 'connection refused'));
    kube.failNext('events', 'create', new KubeApiError(0, 'Unavailable', 'connection refused'));
    sink.eventRecorded(podEvent());
    await clock.advance(4_000);
    assert.equal(stored().length, 0);
    await clock.advance(2_000);
    assert.equal(kube.callsOf('events', 'create').length, 2, 'first retry after 10 s × 0.5');
    await clock.advance(10_000);
    assert.equal(stored().length, 1);
    kube.failNext('events', 'create', new KubeApiError(422, 'Invalid', 'bad event'));
    sink.eventRecorded(podEvent({ reason: 'Other' }));
    await sink.idle();
    assert.equal(kube.callsOf('events', 'create').length, 4, 'tried once');
    assert.equal(stored().length, 1);
  });

  it('a full queue drops and counts; the agent is never held up', async () => {
    const { sink, kube, clock } = setup({ maxQueued: 3 });
    for (let i = 0; i < 20; i++) kube.failNext('events', 'create', new KubeApiError(0, 'Timeout', 'no answer'));
    for (let i = 0; i < 10; i++) sink.eventRecorded(podEvent({ reason: `R${i}` }));
    assert.ok(sink.dropped() >= 6, `dropped ${sink.dropped()}`);
    sink.stop();
    await clock.advance(200_000);
  });
});
