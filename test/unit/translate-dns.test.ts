// podDNSConfig (the kubelet's GetPodDNS): DNS policies, dnsConfig merge, resolv.conf parsing and limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { parseResolvConf, podDNSConfig, type DnsOptions } from '../../src/podworker/translate/dns.js';

const RESOLV = `# generated
nameserver 192.168.1.1
nameserver 192.168.1.2
search corp.example. lab.example .
options timeout:2 attempts:3
`;
const pod = (spec: Partial<V1PodSpec> = {}): V1Pod => ({ metadata: { name: 'web', namespace: 'prod' }, spec: { containers: [], ...spec } });
const cluster: DnsOptions = { resolvConf: RESOLV, clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local' };
const CLUSTER_SEARCH = ['prod.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'lab.example'];
const HOST = { servers: ['192.168.1.1', '192.168.1.2'], searches: ['corp.example', 'lab.example'], options: ['timeout:2', 'attempts:3'] };

const cases: { name: string; pod: V1Pod; opts: DnsOptions; want: unknown; warns?: RegExp }[] = [
  {
    name: 'ClusterFirst (the default): cluster DNS only, cluster search paths then the host ones, ndots:5',
    pod: pod(),
    opts: cluster,
    want: { servers: ['10.96.0.10'], searches: CLUSTER_SEARCH, options: ['ndots:5'] },
  },
  { name: 'ClusterFirst without cluster DNS falls back to Default, with a warning', pod: pod({ dnsPolicy: 'ClusterFirst' }), opts: { resolvConf: RESOLV }, want: HOST, warns: /MissingClusterDNS|does not have ClusterDNS/ },
  { name: 'ClusterFirst on the host network means Default', pod: pod({ hostNetwork: true }), opts: cluster, want: HOST },
  {
    name: 'ClusterFirstWithHostNet on the host network uses cluster DNS',
    pod: pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }),
    opts: cluster,
    want: { servers: ['10.96.0.10'], searches: CLUSTER_SEARCH, options: ['ndots:5'] },
  },
  { name: 'Default: the node resolv.conf', pod: pod({ dnsPolicy: 'Default' }), opts: cluster, want: HOST },
  {
    name: 'Default with no resolv.conf configured: localhost and search "."',
    pod: pod({ dnsPolicy: 'Default' }),
    opts: {},
    want: { servers: ['127.0.0.1'], searches: ['.'], options: [] },
  },
  {
    name: 'None: only what dnsConfig says',
    pod: pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: ['a.example'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } }),
    opts: cluster,
    want: { servers: ['1.1.1.1'], searches: ['a.example'], options: ['ndots:2', 'edns0'] },
  },
  {
    name: 'dnsConfig is merged: servers and searches appended without duplicates, options override by name',
    pod: pod({ dnsConfig: { nameservers: ['10.96.0.10', '8.8.8.8'], searches: ['cluster.local', 'extra.example'], options: [{ name: 'ndots', value: '1' }, { name: 'single-request' }] } }),
    opts: cluster,
    want: { servers: ['10.96.0.10', '8.8.8.8'], searches: [...CLUSTER_SEARCH, 'extra.example'], options: ['ndots:1', 'single-request'] },
  },
  {
    name: 'more than 3 nameservers are cut to 3, with a warning',
    pod: pod({ dnsPolicy: 'Default', dnsConfig: { nameservers: ['1.1.1.1', '8.8.8.8'] } }),
    opts: cluster,
    want: { servers: ['192.168.1.1', '192.168.1.2', '1.1.1.1'], searches: HOST.searches, options: HOST.options },
    warns: /Nameserver limits were exceeded/,
  },
  {
    name: 'more than 32 search paths are cut to 32',
    pod: pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: Array.from({ length: 40 }, (_, i) => `s${i}.example`) } }),
    opts: {},
    want: { servers: ['1.1.1.1'], searches: Array.from({ length: 32 }, (_, i) => `s${i}.example`), options: [] },
    warns: /Search Line limits were exceeded/,
  },
];

for (const c of cases) {
  test(`dns: ${c.name}`, () => {
    const got = podDNSConfig(c.pod, c.opts);
    assert.deepEqual(got.dnsConfig, c.want);
    if (c.warns) assert.ok(got.warnings.some((w) => c.warns!.test(`${w.reason}: ${w.message}`)), got.warnings.map((w) => w.message).join('; '));
    else assert.deepEqual(got.warnings, []);
  });
}

test('dns: a search line over 2048 characters loses domains from the end', () => {
  const long = Array.from({ length: 10 }, (_, i) => `${String(i).repeat(250)}.x`); // 10 * 252 + 9 spaces
  const got = podDNSConfig(pod({ dnsPolicy: 'None', dnsConfig: { searches: long } }), {});
  assert.deepEqual(got.dnsConfig.searches, long.slice(0, 8));
  assert.ok(got.dnsConfig.searches!.join(' ').length <= 2048);
});

test('parseResolvConf: comments skipped, nameservers accumulate, the last search wins, options merge', () => {
  const got = parseResolvConf('nameserver 1.1.1.1\n; c\n#nameserver 9.9.9.9\nsearch a b\nsearch c.\nnameserver 2.2.2.2\noptions ndots:1\noptions ndots:3 rotate\n');
  assert.deepEqual(got, { servers: ['1.1.1.1', '2.2.2.2'], searches: ['c'], options: ['ndots:3', 'rotate'] });
});
