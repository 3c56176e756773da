// --config: a KubeletConfiguration file read as the kubelet reads it, under the command-line flags.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Command } from 'commander';
import { addRunOptions, applyConfigFile, type RunOptions } from '../../src/cli/flags.js';
import { decodeKubeletConfig, loadKubeletConfig } from '../../src/cli/kubelet-config.js';

const HEAD = 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n';
const FILE = '/etc/mk/config.yaml';
const dir = mkdtempSync(path.join(tmpdir(), 'mk-kubelet-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const decode = (body: string) => decodeKubeletConfig(HEAD + body, FILE);

/** A config file on disk and the agent's options after parsing `args` with --config pointing at it. */
function run(body: string, args: string[] = [], relative = false) {
  const file = path.join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, HEAD + body);
  const program = addRunOptions(new Command('mini-kubelet')).exitOverride();
  program.parse(['--config', relative ? path.relative(process.cwd(), file) : file, ...args], { from: 'user' });
  const logs: Array<[string, Record<string, unknown>, string]> = [];
  const sink = (level: string) => (o: Record<string, unknown>, msg: string) => logs.push([level, o, msg]);
  applyConfigFile(program, () => ({ info: sink('info'), warn: sink('warn') }) as never);
  return { opts: program.opts<RunOptions>(), source: (k: string) => program.getOptionValueSource(k), logs, file };
}

describe('each supported field maps to its flag', () => {
  const cases: Array<[string, string, string, unknown]> = [
    ['staticPodPath', 'staticPodPath: /srv/manifests', 'podManifestPath', '/srv/manifests'],
    ['staticPodPath "" (no file source)', 'staticPodPath: ""', 'podManifestPath', ''],
    ['staticPodURL', 'staticPodURL: http://h/pods', 'manifestUrl', 'http://h/pods'],
    ['staticPodURLHeader (in file order, names repeat)', 'staticPodURLHeader: {a: [x, "1"], b: [z]}', 'manifestUrlHeader', [['a', 'x'], ['a', '1'], ['b', 'z']]],
    ['fileCheckFrequency', 'fileCheckFrequency: 5s', 'fileCheckFrequency', 5000],
    ['httpCheckFrequency', 'httpCheckFrequency: 1m30s', 'httpCheckFrequency', 90_000],
    ['syncFrequency', 'syncFrequency: 500ms', 'syncFrequency', 500],
    ['runtimeRequestTimeout', 'runtimeRequestTimeout: 1h', 'runtimeRequestTimeout', 3_600_000],
    ['address', 'address: 0.0.0.0', 'address', '0.0.0.0'],
    ['port', 'port: 10350', 'port', 10350],
    ['enableServer', 'enableServer: false', 'enableServer', false],
    ['tlsCertFile', 'tlsCertFile: /pki/serving.crt', 'tlsCertFile', '/pki/serving.crt'],
    ['tlsPrivateKeyFile', 'tlsPrivateKeyFile: /pki/serving.key', 'tlsPrivateKeyFile', '/pki/serving.key'],
    ['authentication.x509.clientCAFile', 'authentication: {x509: {clientCAFile: /pki/ca.crt}}', 'clientCaFile', '/pki/ca.crt'],
    ['authentication.webhook.enabled', 'authentication: {webhook: {enabled: true}}', 'authenticationTokenWebhook', true],
    ['authentication.webhook.cacheTTL', 'authentication: {webhook: {cacheTTL: 10s}}', 'authenticationTokenWebhookCacheTtl', 10_000],
    ['authentication.anonymous.enabled', 'authentication: {anonymous: {enabled: false}}', 'anonymousAuth', false],
    ['authorization.mode', 'authorization: {mode: Webhook}', 'authorizationMode', 'Webhook'],
    ['authorization.webhook.cacheAuthorizedTTL', 'authorization: {webhook: {cacheAuthorizedTTL: 1m}}', 'authorizationWebhookCacheAuthorizedTtl', 60_000],
    ['authorization.webhook.cacheUnauthorizedTTL', 'authorization: {webhook: {cacheUnauthorizedTTL: 1s}}', 'authorizationWebhookCacheUnauthorizedTtl', 1000],
    ['readOnlyPort', 'readOnlyPort: 10255', 'readOnlyPort', 10255],
    ['readOnlyPort 0 (disabled)', 'readOnlyPort: 0', 'readOnlyPort', 0],
    ['clusterDomain', 'clusterDomain: cluster.local', 'clusterDomain', 'cluster.local'],
    ['clusterDNS', 'clusterDNS: [10.96.0.10, 10.96.0.11]', 'clusterDns', ['10.96.0.10', '10.96.0.11']],
    ['resolvConf', 'resolvConf: /run/systemd/resolve/resolv.conf', 'resolvConf', '/run/systemd/resolve/resolv.conf'],
    ['resolvConf "" (none)', 'resolvConf: ""', 'resolvConf', ''],
    ['maxPods', 'maxPods: 20', 'maxPods', 20],
    ['serializeImagePulls false', 'serializeImagePulls: false', 'serializeImagePulls', false],
    ['cgroupRoot', 'cgroupRoot: /mk', 'cgroupRoot', '/mk'],
    ['cgroupsPerQOS false', 'cgroupsPerQOS: false', 'cgroupsPerQos', false],
    ['containerRuntimeEndpoint', 'containerRuntimeEndpoint: unix:///run/c.sock', 'containerRuntimeEndpoint', 'unix:///run/c.sock'],
    ['imageServiceEndpoint', 'imageServiceEndpoint: unix:///run/i.sock', 'imageServiceEndpoint', 'unix:///run/i.sock'],
    ['podLogsDir', 'podLogsDir: /var/log/mk', 'podLogsDir', '/var/log/mk'],
    ['containerLogMaxSize', 'containerLogMaxSize: 5Mi', 'containerLogMaxSize', 5 * 1024 * 1024],
    ['containerLogMaxFiles', 'containerLogMaxFiles: 3', 'containerLogMaxFiles', 3],
    ['containerLogMonitorInterval', 'containerLogMonitorInterval: 4s', 'containerLogMonitorInterval', 4000],
    ['allowedUnsafeSysctls', 'allowedUnsafeSysctls: ["net.core.*"]', 'allowedUnsafeSysctls', ['net.core.*']],
    ['crashLoopBackOff.maxContainerRestartPeriod', 'crashLoopBackOff: {maxContainerRestartPeriod: 30s}', 'maxContainerRestartPeriod', 30_000],
    ['logging.format', 'logging: {format: json}', 'logFormat', 'json'],
    ['port', 'port: 10260', 'port', 10260],
    ['eventRecordQPS 0 (client-go\'s default rate)', 'eventRecordQPS: 0', 'eventQps', 0],
    ['eventBurst', 'eventBurst: 20', 'eventBurst', 20],
  ];
  for (const [name, body, option, want] of cases) {
    test(name, () => {
      const { values, ignored, strictErrors } = decode(body);
      assert.deepEqual(values, { [option]: want });
      assert.deepEqual([ignored, strictErrors], [[], []]);
    });
  }
});

describe('values the kubelet defaults leave the flag default alone', () => {
  for (const body of ['maxPods: 0', 'port: 0', 'eventBurst: 0', 'syncFrequency: 0s', 'syncFrequency: "0"', 'address: ""', 'podLogsDir: ""', 'staticPodURL: ""', 'containerLogMaxSize: ""', 'clusterDNS: null', 'logging: null']) {
    test(body, () => assert.deepEqual(decode(body).values, {}));
  }
});

describe('precedence: command line over file over default', () => {
  const body = 'maxPods: 7\nreadOnlyPort: 10299\nclusterDNS: [10.0.0.1]\nstaticPodURLHeader: {a: [file]}\n';
  const cases: Array<[string, string[], keyof RunOptions, unknown, string]> = [
    ['file over default', [], 'maxPods', 7, 'config'],
    ['flag over file', ['--max-pods', '5'], 'maxPods', 5, 'cli'],
    ['flag 0 over file', ['--read-only-port', '0'], 'readOnlyPort', 0, 'cli'],
    ['a list flag replaces the file list', ['--cluster-dns', '10.0.0.9'], 'clusterDns', ['10.0.0.9'], 'cli'],
    ['a header flag replaces the file headers', ['--manifest-url-header', 'b:cli'], 'manifestUrlHeader', [['b', 'cli']], 'cli'],
    ['a field the file leaves out keeps the default', [], 'syncFrequency', 60_000, 'default'],
  ];
  for (const [name, args, key, want, source] of cases) {
    test(name, () => {
      const r = run(body, args);
      assert.deepEqual(r.opts[key], want);
      assert.equal(r.source(key), source);
    });
  }
  test('without --config nothing is read', () => {
    const program = addRunOptions(new Command('mini-kubelet')).exitOverride();
    program.parse([], { from: 'user' });
    applyConfigFile(program, () => assert.fail('no logger needed'));
    assert.equal(program.opts<RunOptions>().maxPods, 110);
  });
  test('the agent action sees the file values (preAction hook)', async () => {
    const file = path.join(dir, 'hook.yaml');
    writeFileSync(file, `${HEAD}maxPods: 9\n`);
    let seen: RunOptions | undefined;
    const program = addRunOptions(new Command('mini-kubelet')).exitOverride().action((o: RunOptions) => void (seen = o));
    await program.parseAsync(['--config', file], { from: 'user' });
    assert.equal(seen?.maxPods, 9);
  });
});

describe('durations are Go duration strings', () => {
  const cases: Array<[string, string, number | RegExp]> = [
    ['compound', '2h45m', 9_900_000],
    ['fractional', '1.5s', 1500],
    ['a bare number is not one', '"20"', /syncFrequency: expected a duration string such as "20s", got "20"/],
    ['a YAML number is not one', '20 # seconds?', /syncFrequency: expected a duration string such as "20s", got 20/],
    ['garbage', 'soon', /syncFrequency: expected a duration string/],
  ];
  for (const [name, text, want] of cases) {
    test(name, () => {
      if (typeof want === 'number') assert.equal(decode(`syncFrequency: ${text}`).values.syncFrequency, want);
      else assert.throws(() => decode(`syncFrequency: ${text}`), want);
    });
  }
});

describe('a bad file is a startup error naming the file and field', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['wrong kind', 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeProxyConfiguration\n', /kind: expected "KubeletConfiguration", got "KubeProxyConfiguration"/],
    ['wrong apiVersion', 'apiVersion: kubelet.config.k8s.io/v1\nkind: KubeletConfiguration\n', /apiVersion: expected "kubelet.config.k8s.io\/v1beta1", got "kubelet.config.k8s.io\/v1"/],
    ['no apiVersion', 'kind: KubeletConfiguration\n', /apiVersion: expected .*, got nothing/],
    ['not an object', '- a\n', /expected a KubeletConfiguration object/],
    ['empty', '', /the file is empty/],
    ['broken YAML', `${HEAD}maxPods: [1\n`, /config\.yaml: /],
    ['maxPods a string', `${HEAD}maxPods: "ten"\n`, /maxPods: expected a non-negative integer, got "ten"/],
    ['maxPods negative', `${HEAD}maxPods: -1\n`, /maxPods: expected a non-negative integer, got -1/],
    ['readOnlyPort too big', `${HEAD}readOnlyPort: 70000\n`, /readOnlyPort: expected a port number/],
    ['cgroupsPerQOS a quoted string', `${HEAD}cgroupsPerQOS: "false"\n`, /cgroupsPerQOS: expected a boolean, got "false"/],
    ['clusterDNS a string', `${HEAD}clusterDNS: 10.96.0.10\n`, /clusterDNS: expected a list of strings/],
    ['address a number', `${HEAD}address: 10\n`, /address: expected a string, got 10/],
    ['header values not a list', `${HEAD}staticPodURLHeader: {a: x}\n`, /staticPodURLHeader: expected a list of strings for header a/],
    ['logging not an object', `${HEAD}logging: json\n`, /logging: expected an object, got "json"/],
    ['logging.format unknown', `${HEAD}logging: {format: xml}\n`, /logging.format: expected "text" or "json"/],
    ['authorization.mode unknown', `${HEAD}authorization: {mode: RBAC}\n`, /authorization.mode: expected "AlwaysAllow" or "Webhook", got "RBAC"/],
    ['authentication.x509 not an object', `${HEAD}authentication: {x509: /ca.crt}\n`, /authentication.x509: expected an object, got "\/ca.crt"/],
    ['containerLogMaxFiles 1 (kubelet validation)', `${HEAD}containerLogMaxFiles: 1\n`, /containerLogMaxFiles: .*greater than 1/],
    ['containerLogMonitorInterval below 3s', `${HEAD}containerLogMonitorInterval: 1s\n`, /containerLogMonitorInterval: .*3s/],
  ];
  for (const [name, text, want] of cases) {
    test(name, () => assert.throws(() => decodeKubeletConfig(text, FILE), (err: Error) => {
      assert.match(err.message, /^failed to load Kubelet config file \/etc\/mk\/config\.yaml: /);
      assert.match(err.message, want);
      return true;
    }));
  }
  test('a missing file', () => {
    const program = addRunOptions(new Command('mini-kubelet')).exitOverride();
    program.parse(['--config', path.join(dir, 'nope.yaml')], { from: 'user' });
    assert.throws(() => applyConfigFile(program), /failed to load Kubelet config file .*nope\.yaml: ENOENT/);
  });
  test('through the agent command: parseAsync rejects before the action', async () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, `${HEAD}maxPods: many\n`);
    const program = addRunOptions(new Command('mini-kubelet')).exitOverride().action(() => assert.fail('the agent must not start'));
    await assert.rejects(program.parseAsync(['--config', file], { from: 'user' }), /bad\.yaml: maxPods: expected a non-negative integer/);
  });
});

describe('fields mini-kubelet does not read, unknown fields and repeated fields: logged, never an error', () => {
  const cases: Array<[string, string, string[], string[]]> = [
    ['known fields are ignored', 'serverTLSBootstrap: true\ncgroupDriver: systemd\nlogging: {verbosity: 2}\n', ['serverTLSBootstrap', 'cgroupDriver', 'logging.verbosity'], []],
    ['unknown field two levels down', 'authentication: {x509: {clientCA: /ca.crt}}\n', [], ['unknown field "authentication.x509.clientCA"']],
    ['a typo is unknown', 'staticPodPth: /x\n', [], ['unknown field "staticPodPth"']],
    ['unknown nested field', 'crashLoopBackOff: {maxRestart: 1s}\n', [], ['unknown field "crashLoopBackOff.maxRestart"']],
    ['a repeated field: the last one is used', 'maxPods: 5\nmaxPods: 6\n', [], ['duplicate field "maxPods"']],
  ];
  for (const [name, body, ignored, strict] of cases) {
    test(name, () => {
      const r = decode(body);
      assert.deepEqual([r.ignored, r.strictErrors], [ignored, strict]);
    });
  }
  test('logged once each: ignored at warn, unknown as the kubelet (info, lenient decoding)', () => {
    const r = run('cgroupDriver: cgroupfs\nevictionHard: {memory.available: 1Gi}\nmaxPods: 5\nstaticPodPth: /x\nmaxPods: 6\n');
    assert.equal(r.opts.maxPods, 6);
    assert.deepEqual(r.logs, [
      ['info', { config: r.file, err: 'strict decoding error: duplicate field "maxPods", unknown field "staticPodPth"' }, 'Using lenient decoding as strict decoding failed'],
      ['warn', { config: r.file, fields: ['cgroupDriver', 'evictionHard'] }, 'ignored: not supported by mini-kubelet'],
    ]);
  });
});

describe('relative paths are resolved against the file directory', () => {
  const cases: Array<[string, string, keyof RunOptions, string]> = [
    ['staticPodPath', 'staticPodPath: manifests', 'podManifestPath', '/etc/mk/manifests'],
    ['staticPodPath with ..', 'staticPodPath: ../kubernetes/manifests', 'podManifestPath', '/etc/kubernetes/manifests'],
    ['resolvConf', 'resolvConf: resolv.conf', 'resolvConf', '/etc/mk/resolv.conf'],
    ['podLogsDir', 'podLogsDir: ./logs', 'podLogsDir', '/etc/mk/logs'],
    ['tlsCertFile', 'tlsCertFile: pki/kubelet.crt', 'tlsCertFile', '/etc/mk/pki/kubelet.crt'],
    ['authentication.x509.clientCAFile', 'authentication: {x509: {clientCAFile: ca.crt}}', 'clientCaFile', '/etc/mk/ca.crt'],
    ['an absolute path stays', 'staticPodPath: /srv/m', 'podManifestPath', '/srv/m'],
    ['not a path field', 'containerRuntimeEndpoint: run/c.sock', 'containerRuntimeEndpoint', 'run/c.sock'],
  ];
  for (const [name, body, option, want] of cases) {
    test(name, () => assert.equal(decode(body).values[option], want));
  }
  test('a relative --config is made absolute first', () => {
    const r = run('staticPodPath: m\n', [], true);
    assert.equal(r.opts.podManifestPath, path.join(dir, 'm'));
  });
});

test('the sample file (docs/kubelet-config.example.yaml) loads with nothing ignored or unknown', () => {
  const cfg = loadKubeletConfig(path.join(import.meta.dirname, '../../docs/kubelet-config.example.yaml'));
  assert.deepEqual([cfg.ignored, cfg.strictErrors], [[], []]);
  assert.equal(cfg.values.podManifestPath, '/etc/kubernetes/manifests');
  assert.equal(cfg.values.maxContainerRestartPeriod, 300_000);
});
