// /configz: the configuration in force, as the kubelet's configz handler shows it ({"kubeletconfig": KubeletConfiguration}), built from the options the agent runs with.
import { supportedConfigFields } from './kubelet-config.js';

/** Go's time.Duration.String for whole milliseconds: "2m0s", "1h0m0s", "500ms", "1.5s", "0s". */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${rest}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = (rest / 1000).toString();
  return sign + (h ? `${h}h${m}m${s}s` : m ? `${m}m${s}s` : `${s}s`);
}

/** The file's fields (those mini-kubelet reads) with the values in force, nested by their JSON paths. */
export function kubeletConfigz(values: Record<string, unknown>): { kubeletconfig: Record<string, unknown> } {
  const cfg: Record<string, unknown> = { kind: 'KubeletConfiguration', apiVersion: 'kubelet.config.k8s.io/v1beta1' };
  for (const f of supportedConfigFields()) {
    let v = values[f.option];
    if (v === undefined) continue;
    if (f.kind === 'duration' && typeof v === 'number') v = goDuration(v);
    if (f.kind === 'headers' && Array.isArray(v)) {
      const map: Record<string, string[]> = {};
      for (const [k, x] of v as Array<[string, string]>) (map[k] ??= []).push(x);
      v = map;
    }
    const keys = f.path.split('.');
    let at = cfg;
    for (const k of keys.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
    at[keys.at(-1)!] = v;
  }
  return { kubeletconfig: cfg };
}
