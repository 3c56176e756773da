// The flags a node joins a cluster with (--bootstrap-kubeconfig, --rotate-certificates, --provider-id, --node-ip; --cert-dir is the node API's) and the kubelet flags kubeadm and kind pass that mini-kubelet accepts and ignores.
import { isIP } from 'node:net';
import { Option, type Command } from 'commander';

export interface JoinRunOptions {
  /** --bootstrap-kubeconfig: the credentials (a bootstrap token) to ask for a client certificate with. */
  bootstrapKubeconfig?: string;
  /** --rotate-certificates (rotateCertificates in --config). */
  rotateCertificates: boolean;
  /** --provider-id (providerID in --config): the Node's spec.providerID. */
  providerId?: string;
}

/** A Go boolean flag: bare means true, or =true / =false. */
export function goBool(v: string | undefined): boolean {
  if (v === undefined || v === 'true') return true;
  if (v === 'false') return false;
  throw new Error(`not a boolean (true|false): ${v}`);
}

/**
 * nodeutil.ParseNodeIPArgument: one IP, or two of different families (dual-stack), comma
 * separated. The first is the node's primary IP; "0.0.0.0" or "::" alone means detect it.
 */
export function parseNodeIp(v: string): string {
  const ips = v.split(',').map((s) => s.trim());
  if (ips.length > 2 || ips.some((ip) => !isIP(ip))) throw new Error(`bad --node-ip "${v}": one IP, or two (IPv4 and IPv6) separated by a comma`);
  if (ips.length === 2 && isIP(ips[0]) === isIP(ips[1])) throw new Error(`bad --node-ip "${v}": a dual-stack --node-ip needs one IPv4 and one IPv6 address`);
  return v;
}

/**
 * Real kubelet flags that kubeadm's kubeadm-flags.env and systemd drop-in, kind's kubeletExtraArgs
 * and common kubelet units pass, whose features mini-kubelet does not have. They are accepted,
 * so such a command line starts the agent, and listed once at startup (ignoredFlags below);
 * none of them changes what mini-kubelet does. `true`: a boolean flag (bare or =true/=false).
 */
export const IGNORED_FLAGS: Record<string, boolean> = {
  // Runtime and images: the runtime's own settings decide (the sandbox image is containerd's).
  'container-runtime': false, 'network-plugin': false, 'pod-infra-container-image': false, 'image-gc-high-threshold': false,
  'image-gc-low-threshold': false, 'minimum-image-ttl-duration': false, 'image-credential-provider-config': false,
  'image-credential-provider-bin-dir': false, 'registry-qps': false, 'registry-burst': false,
  // Node resources: no eviction manager, reservations, CPU/topology managers or swap check.
  'fail-swap-on': true, 'eviction-hard': false, 'eviction-soft': false, 'eviction-soft-grace-period': false,
  'eviction-minimum-reclaim': false, 'eviction-pressure-transition-period': false, 'eviction-max-pod-grace-period': false,
  'kube-reserved': false, 'system-reserved': false, 'kube-reserved-cgroup': false, 'system-reserved-cgroup': false,
  'enforce-node-allocatable': false, 'reserved-cpus': false, 'cpu-manager-policy': false, 'topology-manager-policy': false,
  'cpu-cfs-quota': true, 'pods-per-core': false, 'pod-cidr': false, 'protect-kernel-defaults': true,
  // Cgroups of the agent itself and the driver: pod cgroups are made through cgroupfs (--cgroup-root).
  'cgroup-driver': false, 'runtime-cgroups': false, 'kubelet-cgroups': false, 'system-cgroups': false,
  // The node API's TLS settings beyond its certificate, its serving-certificate CSR, the healthz port.
  'tls-cipher-suites': false, 'tls-min-version': false, 'rotate-server-certificates': true, 'healthz-port': false,
  'healthz-bind-address': false, 'streaming-connection-idle-timeout': false,
  // Cloud, volumes, networking helpers, logging and feature gates.
  'cloud-provider': false, 'cloud-config': false, 'volume-plugin-dir': false, 'enable-controller-attach-detach': true,
  'make-iptables-util-chains': true, 'hairpin-mode': false, 'feature-gates': false, v: false, vmodule: false,
  'logging-format': false, 'max-open-files': false, 'oom-score-adj': false, 'node-status-max-images': false,
  'seccomp-default': true, 'volume-stats-agg-period': false,
};

export function addJoinOptions(program: Command): Command {
  program
    .option('--bootstrap-kubeconfig <file>', 'when --kubeconfig has no valid client certificate, ask the API server for one with these credentials (a bootstrap token), then write --kubeconfig pointing at it')
    .addOption(new Option('--rotate-certificates [bool]', 'renew the client certificate before it expires (at 70-90% of its life), with a new CSR').argParser(goBool).default(false))
    .option('--provider-id <id>', "the Node's spec.providerID (e.g. kind://docker/kind/kind-worker)");
  for (const [name, isBool] of Object.entries(IGNORED_FLAGS)) {
    const option = new Option(isBool ? `--${name} [bool]` : `--${name} <value>`).hideHelp();
    program.addOption(isBool ? option.argParser(goBool) : option);
  }
  return program;
}

/** The ignored kubelet flags given on the command line, as "--name", in the kubelet's spelling. */
export function ignoredFlags(program: Command): string[] {
  return Object.keys(IGNORED_FLAGS)
    .filter((name) => program.getOptionValueSource(camel(name)) === 'cli')
    .map((name) => `--${name}`);
}

/**
 * Ignored settings whose value mini-kubelet cannot live with as it is: one warning each, saying
 * what to do. `fields`: the --config file's ignored fields and their values.
 */
export function joinCaveats(program: Command, fields: Record<string, unknown>): string[] {
  const out: string[] = [];
  const driver = program.getOptionValueSource('cgroupDriver') === 'cli' ? program.getOptionValue('cgroupDriver') : fields.cgroupDriver;
  if (driver === 'systemd' && program.getOptionValue('cgroupsPerQos') !== false) {
    out.push('cgroup driver systemd: mini-kubelet makes pod cgroups through cgroupfs only; a runtime set up for systemd cgroups (kind) will refuse those paths, so pass --cgroups-per-qos=false there');
  }
  return out;
}

/** Checks the join flags together; throws why they cannot be used. */
export function checkJoinOptions(o: JoinRunOptions & { kubeconfig?: string }): void {
  if (o.bootstrapKubeconfig && !o.kubeconfig) throw new Error('--bootstrap-kubeconfig needs --kubeconfig: the file the node\'s credentials are written to');
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
