// The command lines and config files kubeadm and kind give their kubelets start mini-kubelet: honoured where it can, the rest listed once.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Command } from 'commander';
import { addRunOptions, applyConfigFile, type RunOptions } from '../../src/cli/flags.js';
import { certDirOf } from '../../src/cli/run-node-api.js';
import { initialNode } from '../../src/node/registration.js';

const FIXTURES = path.join(import.meta.dirname, '../fixtures/join');
const fixture = (f: string) => path.join(FIXTURES, f);

/** NAME="value" lines (an EnvironmentFile, or the drop-in's Environment= lines). */
function envOf(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/^(?:Environment=")?([A-Z_]+)=("?)(.*?)\2"?$/gm)) env[m[1]] = m[3];
  return env;
}

/**
 * The kubelet's argv as systemd builds it from kubeadm's drop-in: its ExecStart with each $VAR
 * split on white space. `paths` maps the node's file paths to the test's.
 */
function kubeletArgv(env: Record<string, string>, paths: Record<string, string> = {}): string[] {
  const exec = /^ExecStart=\/usr\/bin\/kubelet (.*)$/m.exec(readFileSync(fixture('10-kubeadm.conf'), 'utf8'))![1];
  return exec.split(' ').flatMap((v) => (env[v.slice(1)] ?? '').split(/\s+/).filter(Boolean))
    .map((a) => Object.entries(paths).reduce((s, [from, to]) => s.replace(from, to), a));
}

function parse(args: string[]) {
  const program = addRunOptions(new Command('mini-kubelet')).exitOverride().configureOutput({ writeErr: () => {} });
  program.parse(args, { from: 'user' });
  const logs: Array<[string, unknown, string | undefined]> = [];
  const sink = (level: string) => (o: unknown, msg?: string) => logs.push([level, o, msg]);
  applyConfigFile(program, () => ({ info: sink('info'), warn: sink('warn') }) as never);
  return { opts: program.opts<RunOptions>(), logs };
}

const dropIn = envOf(readFileSync(fixture('10-kubeadm.conf'), 'utf8'));
const SYSTEMD_CAVEAT = /cgroup driver systemd: .*--cgroups-per-qos=false/;

test('kubeadm v1.28: the drop-in, kubeadm-flags.env and /var/lib/kubelet/config.yaml', () => {
  const env = { ...dropIn, ...envOf(readFileSync(fixture('kubeadm-flags.env'), 'utf8')) };
  const args = kubeletArgv(env, { '/var/lib/kubelet/config.yaml': fixture('kubeadm-config.yaml') });
  assert.deepEqual(args, [
    '--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf', '--kubeconfig=/etc/kubernetes/kubelet.conf',
    `--config=${fixture('kubeadm-config.yaml')}`,
    '--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock', '--pod-infra-container-image=registry.k8s.io/pause:3.9',
  ]);
  const { opts, logs } = parse(args);
  assert.equal(opts.bootstrapKubeconfig, '/etc/kubernetes/bootstrap-kubelet.conf');
  assert.equal(opts.kubeconfig, '/etc/kubernetes/kubelet.conf');
  assert.equal(opts.containerRuntimeEndpoint, 'unix:///var/run/containerd/containerd.sock');
  assert.equal(opts.rotateCertificates, true, 'rotateCertificates from the file');
  assert.deepEqual(opts.clusterDns, ['10.96.0.10']);
  assert.equal(opts.clusterDomain, 'cluster.local');
  assert.equal(opts.podManifestPath, '/etc/kubernetes/manifests');
  assert.equal(opts.resolvConf, '/run/systemd/resolve/resolv.conf');
  assert.equal(opts.clientCaFile, '/etc/kubernetes/pki/ca.crt');
  assert.deepEqual(logs.slice(0, 1), [['warn', {
    config: fixture('kubeadm-config.yaml'),
    // Zero values ("0s", {}, "") ask for nothing and are not listed; authentication and
    // authorization are the node API's.
    fields: ['cgroupDriver', 'healthzBindAddress', 'healthzPort', 'logging.options'],
    flags: ['--pod-infra-container-image'],
  }, 'ignored: not supported by mini-kubelet']]);
  assert.match(String(logs[1]?.[1]), SYSTEMD_CAVEAT);
  assert.equal(logs.length, 2, 'no strict-decoding complaint: every field is known');
});

test('an older kubeadm (containerd through --container-runtime=remote, docker-era flags)', () => {
  const env = {
    ...dropIn,
    KUBELET_KUBEADM_ARGS: '--container-runtime=remote --container-runtime-endpoint=unix:///run/containerd/containerd.sock --cgroup-driver=systemd --network-plugin=cni --pod-infra-container-image=k8s.gcr.io/pause:3.5 --resolv-conf=/run/systemd/resolve/resolv.conf',
    KUBELET_EXTRA_ARGS: '--node-ip=10.0.0.5 --v=2',
  };
  const { opts, logs } = parse(kubeletArgv(env, { '/var/lib/kubelet/config.yaml': fixture('kubeadm-config.yaml') }));
  assert.equal(opts.nodeIp, '10.0.0.5');
  assert.equal(opts.containerRuntimeEndpoint, 'unix:///run/containerd/containerd.sock');
  assert.deepEqual((logs[0][1] as { flags: string[] }).flags, ['--container-runtime', '--network-plugin', '--pod-infra-container-image', '--cgroup-driver', '--v']);
  assert.equal(logs.filter(([, o]) => SYSTEMD_CAVEAT.test(String(o))).length, 1, 'the systemd warning once, though both the flag and the file say so');
});

test('kind: kubeadm\'s flags plus kind\'s kubeletExtraArgs (node-ip, provider-id, node-labels, fail-swap-on) and its KubeletConfiguration', () => {
  // kubeadm writes extra args sorted by name; kind's node-labels is "" when the node has none.
  const env = {
    ...dropIn,
    KUBELET_KUBEADM_ARGS: '--container-runtime-endpoint=unix:///run/containerd/containerd.sock --eviction-hard=nodefs.available<0%,nodefs.inodesFree<0%,imagefs.available<0% --fail-swap-on=false --node-ip=172.18.0.3,fc00:f853:ccd:e793::3 --node-labels= --pod-infra-container-image=registry.k8s.io/pause:3.9 --provider-id=kind://docker/kind/kind-worker',
  };
  const { opts, logs } = parse(kubeletArgv(env, { '/var/lib/kubelet/config.yaml': fixture('kind-config.yaml') }));
  assert.equal(opts.providerId, 'kind://docker/kind/kind-worker');
  assert.equal(opts.nodeIp, '172.18.0.3,fc00:f853:ccd:e793::3');
  assert.deepEqual(opts.nodeLabels, {});
  assert.equal(opts.cgroupRoot, '/kubelet');
  assert.equal(opts.rotateCertificates, true);
  assert.deepEqual(logs[0], ['warn', {
    config: fixture('kind-config.yaml'),
    fields: ['cgroupDriver', 'evictionHard', 'failSwapOn', 'healthzBindAddress', 'healthzPort', 'imageGCHighThresholdPercent'],
    flags: ['--pod-infra-container-image', '--fail-swap-on', '--eviction-hard'],
  }, 'ignored: not supported by mini-kubelet']);
  assert.match(String(logs[1][1]), SYSTEMD_CAVEAT);
  // With --cgroups-per-qos=false there is nothing to warn about.
  const quiet = parse(['--config', fixture('kind-config.yaml'), '--cgroups-per-qos=false']);
  assert.equal(quiet.logs.filter(([, o]) => SYSTEMD_CAVEAT.test(String(o))).length, 0);
});

describe('the join flags', () => {
  test('--rotate-certificates is a Go boolean: bare means true; off by default', () => {
    assert.equal(parse([]).opts.rotateCertificates, false);
    assert.equal(parse(['--rotate-certificates']).opts.rotateCertificates, true);
    assert.equal(parse(['--rotate-certificates=false']).opts.rotateCertificates, false);
    assert.equal(parse(['--rotate-certificates=false', '--config', fixture('kind-config.yaml')]).opts.rotateCertificates, false, 'the command line over the file');
    assert.throws(() => parse(['--rotate-certificates=maybe']), /not a boolean/);
  });
  test('an ignored boolean flag is still checked, and a flag the kubelet does not have is still an error', () => {
    assert.equal(parse(['--fail-swap-on']).logs.length, 1);
    assert.throws(() => parse(['--fail-swap-on=nope']), /not a boolean/);
    assert.throws(() => parse(['--no-such-kubelet-flag=1']), /unknown option/);
  });
  test('--node-ip: one IP or a dual-stack pair', () => {
    assert.equal(parse(['--node-ip', 'fd00::5']).opts.nodeIp, 'fd00::5');
    for (const bad of ['10.0.0.1,10.0.0.2', 'not-an-ip', '10.0.0.1,fd00::1,10.0.0.2']) assert.throws(() => parse(['--node-ip', bad]), /bad --node-ip/, bad);
  });
  test('nothing ignored, nothing logged', () => {
    assert.deepEqual(parse(['--provider-id', 'x://y', '--cert-dir', '/tmp/pki']).logs, []);
  });

  async function run(args: string[]) {
    const program = addRunOptions(new Command('mini-kubelet')).exitOverride().action(() => {});
    await program.parseAsync(['--log-level', 'error', ...args], { from: 'user' });
    return program.opts<RunOptions>();
  }
  test('--cert-dir (the client certificate\'s, and the node API\'s) defaults to <root-dir>/pki', async () => {
    assert.equal(certDirOf(await run([])), '/var/lib/mini-kubelet/pki');
    assert.equal(certDirOf(await run(['--root-dir', '/srv/mk'])), '/srv/mk/pki');
    assert.equal(certDirOf(await run(['--root-dir', '/srv/mk', '--cert-dir', '/etc/mk/pki'])), '/etc/mk/pki');
  });
  test('--bootstrap-kubeconfig needs --kubeconfig (where the credentials are written)', async () => {
    await assert.rejects(run(['--bootstrap-kubeconfig', '/etc/kubernetes/bootstrap-kubelet.conf']), /--bootstrap-kubeconfig needs --kubeconfig/);
  });
});

test('--provider-id is the spec.providerID of the Node the agent creates (initialNode)', () => {
  const opts = parse(['--provider-id', 'kind://docker/kind/n1']).opts;
  assert.equal(initialNode('n1', {}, [], opts.providerId).spec?.providerID, 'kind://docker/kind/n1');
  assert.deepEqual(initialNode('n1', {}, [], parse([]).opts.providerId).spec, {}, 'none without the flag');
});
