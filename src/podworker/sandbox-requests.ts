// Which RunPodSandbox calls this process has made, per pod UID and attempt: the only way a sandbox can exist that the PLEG cache does not show.
//
// A RunPodSandbox that timed out may still have made its sandbox, so before asking for another the
// executor looks for it with ListPodSandbox. That look is only needed after such a call: sandboxes
// made before this process started were all seen by the PLEG's first relist, which runs before any
// worker. Skipping it for a never-requested (uid, attempt) saves a CRI call on every new pod.
export class SandboxRequests {
  private readonly attempts = new Map<string, Set<number>>();

  /** Whether this process has asked the runtime for this sandbox before (so it may exist unseen). */
  has(uid: string, attempt: number): boolean {
    return this.attempts.get(uid)?.has(attempt) ?? false;
  }

  /** Called just before RunPodSandbox. */
  add(uid: string, attempt: number): void {
    let set = this.attempts.get(uid);
    if (!set) this.attempts.set(uid, (set = new Set()));
    set.add(attempt);
  }

  /** The pod is gone: nothing of it is left to find. */
  forget(uid: string): void {
    this.attempts.delete(uid);
  }
}
