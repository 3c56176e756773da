// Which pod sysctls the node allows: the kubelet's safe set plus --allowed-unsafe-sysctls (pkg/kubelet/sysctl), pure; admission/sysctls.ts applies it.

/** SafeSysctlAllowlist: namespaced and isolated sysctls, with the kernel each first appeared in. */
export const SAFE_SYSCTLS: readonly { name: string; kernel?: string }[] = [
  { name: 'kernel.shm_rmid_forced' },
  { name: 'net.ipv4.ip_local_port_range' },
  { name: 'net.ipv4.tcp_syncookies' },
  { name: 'net.ipv4.ping_group_range' },
  { name: 'net.ipv4.ip_unprivileged_port_start' },
  { name: 'net.ipv4.ip_local_reserved_ports', kernel: '3.16' },
  { name: 'net.ipv4.tcp_keepalive_time', kernel: '4.5' },
  { name: 'net.ipv4.tcp_fin_timeout', kernel: '4.6' },
  { name: 'net.ipv4.tcp_keepalive_intvl', kernel: '4.5' },
  { name: 'net.ipv4.tcp_keepalive_probes', kernel: '4.5' },
  { name: 'net.ipv4.tcp_rmem', kernel: '4.15' },
  { name: 'net.ipv4.tcp_wmem', kernel: '4.15' },
];

type Namespace = 'ipc' | 'net';

/** sysctl.NamespacedBy (component-helpers): which kernel namespace isolates a sysctl, if any. */
export function namespacedBy(name: string): Namespace | undefined {
  if (name === 'kernel.sem') return 'ipc';
  if (['kernel.shm', 'kernel.msg', 'fs.mqueue.'].some((p) => name.startsWith(p))) return 'ipc';
  if (name.startsWith('net.')) return 'net';
  return undefined;
}

/** ConvertSysctlVariableToDotsSeparator: runc wants net.ipv4.ip_forward, the API also allows net/ipv4/ip_forward. */
export function sysctlName(name: string): string {
  const first = name.search(/[./]/);
  if (first < 0 || name[first] === '.') return name;
  return name.replace(/[./]/g, (ch) => (ch === '.' ? '/' : '.'));
}

const atLeast = (have: string, want: string): boolean => {
  const [a, b] = [have, want].map((v) => v.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0));
  for (let i = 0; i < Math.max(a!.length, b!.length); i++) {
    if ((a![i] ?? 0) !== (b![i] ?? 0)) return (a![i] ?? 0) > (b![i] ?? 0);
  }
  return true;
};

/** The safe set on a kernel (os.release()); with no kernel version, all of it. */
export function safeSysctls(kernelRelease?: string): string[] {
  return SAFE_SYSCTLS.filter((s) => !s.kernel || !kernelRelease || atLeast(kernelRelease, s.kernel)).map((s) => s.name);
}

/** An allowlist of sysctl names and name* patterns, each known to be namespaced (sysctl.NewAllowlist). */
export class SysctlAllowlist {
  private readonly names = new Map<string, Namespace>();
  private readonly prefixes = new Map<string, Namespace>();

  constructor(patterns: readonly string[]) {
    for (const raw of patterns) {
      const s = sysctlName(raw);
      const prefix = s.endsWith('*') ? s.slice(0, -1) : undefined;
      const ns = namespacedBy(prefix ?? s);
      if (!ns) throw new Error(`the sysctl ${JSON.stringify(s)} is not known to be namespaced`);
      if (prefix !== undefined) this.prefixes.set(prefix, ns);
      else this.names.set(s, ns);
    }
  }

  /** validateSysctl: undefined when allowed, else why not. */
  check(raw: string, hostNetwork: boolean, hostIPC: boolean): string | undefined {
    const s = sysctlName(raw);
    let ns = this.names.get(s);
    if (!ns) {
      // The first matching pattern decides.
      for (const [p, n] of this.prefixes) {
        if (s.startsWith(p)) {
          ns = n;
          break;
        }
      }
    }
    if (!ns) return `${JSON.stringify(s)} not allowlisted`;
    if ((ns === 'ipc' && hostIPC) || (ns === 'net' && hostNetwork)) return `${JSON.stringify(s)} not allowed with host ${ns} enabled`;
    return undefined;
  }
}

