// Applies a strategic merge patch to a pod status as the API server would, for the fake API: lists merged by key, $patch: delete, $setElementOrder, null deletes.
//
// Only what a PodStatus patch uses (the merge lists conditions, podIPs, hostIPs and
// resourceClaimStatuses; every other list is replaced whole). Unit tests only.

type Obj = Record<string, unknown>;

const MERGE_KEYS: Readonly<Record<string, string>> = { conditions: 'type', podIPs: 'ip', hostIPs: 'ip', resourceClaimStatuses: 'name' };
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

export function applyStatusPatch(status: Obj | undefined, patch: Obj, mergeKeys: Readonly<Record<string, string>> = MERGE_KEYS): Obj {
  const out: Obj = structuredClone(status ?? {});
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$setElementOrder/')) continue;
    const mergeKey = mergeKeys[key];
    if (value === null) delete out[key];
    else if (mergeKey && Array.isArray(value)) out[key] = mergeList(Array.isArray(out[key]) ? (out[key] as unknown[]) : [], value, mergeKey);
    else if (isObj(value) && isObj(out[key])) out[key] = applyStatusPatch(out[key] as Obj, value, {});
    else out[key] = structuredClone(value);
  }
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith('$setElementOrder/')) continue;
    const list = key.slice('$setElementOrder/'.length);
    const mergeKey = mergeKeys[list]!;
    const items = (out[list] as Obj[] | undefined) ?? [];
    const rank = new Map((order as Obj[]).map((o, i) => [String(o[mergeKey]), i] as const));
    out[list] = [...items].sort((a, b) => (rank.get(String(a[mergeKey])) ?? 1e9) - (rank.get(String(b[mergeKey])) ?? 1e9));
  }
  return out;
}

function mergeList(list: unknown[], patch: unknown[], mergeKey: string): unknown[] {
  const out = structuredClone(list) as Obj[];
  for (const item of patch) {
    if (!isObj(item)) continue;
    const i = out.findIndex((x) => x[mergeKey] === item[mergeKey]);
    if (item.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) out[i] = applyStatusPatch(out[i], item, {});
    else out.push(structuredClone(item));
  }
  return out;
}
