// The managed /etc/hosts: content rules (managedHostsFileContent, nodeHostsFileContent, hostAliases) and in-place writes.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ensureHostsFile, hostsEntriesFromHostAliases, managedHostsFileContent, nodeHostsFileContent, podHostDomain,
} from '../../src/volumes/hosts-file.js';

const LOCALHOST = [
  '# Kubernetes-managed hosts file.',
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'fe00::0\tip6-mcastprefix',
  'fe00::1\tip6-allnodes',
  'fe00::2\tip6-allrouters',
].join('\n') + '\n';

const cases: { name: string; args: Parameters<typeof managedHostsFileContent>; want: string }[] = [
  { name: 'pod IP with the hostname', args: [['10.88.0.5'], 'web', ''], want: `${LOCALHOST}10.88.0.5\tweb\n` },
  {
    name: 'a host domain gives the FQDN first, then the short name',
    args: [['10.88.0.5'], 'web', 'nodes.prod.svc.cluster.local'],
    want: `${LOCALHOST}10.88.0.5\tweb.nodes.prod.svc.cluster.local\tweb\n`,
  },
  { name: 'every pod IP gets a line (dual stack)', args: [['10.88.0.5', 'fd00::5'], 'web', ''], want: `${LOCALHOST}10.88.0.5\tweb\nfd00::5\tweb\n` },
  {
    name: 'hostAliases after a blank line and the marker, hostnames tab-separated',
    args: [['10.88.0.5'], 'web', '', [{ ip: '10.1.2.3', hostnames: ['foo.local', 'bar.local'] }, { ip: '10.1.2.4', hostnames: ['baz'] }]],
    want: `${LOCALHOST}10.88.0.5\tweb\n\n# Entries added by HostAliases.\n10.1.2.3\tfoo.local\tbar.local\n10.1.2.4\tbaz\n`,
  },
  { name: 'no pod IP: only the localhost lines', args: [[], 'web', ''], want: LOCALHOST },
];
for (const c of cases) {
  test(`managedHostsFileContent: ${c.name}`, () => assert.equal(managedHostsFileContent(...c.args), c.want));
}

test('podHostDomain needs both a subdomain and a cluster domain', () => {
  assert.equal(podHostDomain('nodes', 'prod', 'cluster.local'), 'nodes.prod.svc.cluster.local');
  assert.equal(podHostDomain('nodes', 'prod', undefined), '');
  assert.equal(podHostDomain(undefined, 'prod', 'cluster.local'), '');
});

test('nodeHostsFileContent: the host-network header, the node file as is, then the aliases', () => {
  const node = '127.0.0.1 localhost\n192.168.1.10 myhost\n';
  assert.equal(nodeHostsFileContent(node), `# Kubernetes-managed hosts file (host network).\n${node}`);
  assert.equal(
    nodeHostsFileContent(node, [{ ip: '10.9.9.9', hostnames: ['alias'] }]),
    `# Kubernetes-managed hosts file (host network).\n${node}\n# Entries added by HostAliases.\n10.9.9.9\talias\n`,
  );
  assert.equal(hostsEntriesFromHostAliases([]), '');
});

test('ensureHostsFile: 0644, rewritten in place (same inode) only when the content changes', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mk-hosts-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'etc-hosts');
  const spec = { podIPs: ['10.88.0.5'], hostname: 'web', hostDomain: '', hostNetwork: false, nodeHostsFile: '/nonexistent' };
  await ensureHostsFile(file, spec);
  const first = statSync(file);
  assert.equal(first.mode & 0o777, 0o644);
  assert.equal(readFileSync(file, 'utf8'), `${LOCALHOST}10.88.0.5\tweb\n`);
  await ensureHostsFile(file, { ...spec, podIPs: ['10.88.0.6'] });
  assert.equal(statSync(file).ino, first.ino);
  assert.match(readFileSync(file, 'utf8'), /10\.88\.0\.6\tweb\n$/);

  const nodeHosts = path.join(dir, 'node-hosts');
  writeFileSync(nodeHosts, '127.0.0.1 localhost\n10.0.0.1 node-a\n');
  await ensureHostsFile(file, { ...spec, hostNetwork: true, nodeHostsFile: nodeHosts });
  assert.equal(readFileSync(file, 'utf8'), '# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n10.0.0.1 node-a\n');
});
