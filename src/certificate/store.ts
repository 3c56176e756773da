// The client certificate files in --cert-dir, as client-go's certificate FileStore keeps them: kubelet-client-<timestamp>.pem (certificate and key, 0600) and the kubelet-client-current.pem symlink.
import { existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateKey } from './csr.js';
import { parsePair, type CertKeyPair } from './pair.js';

const PREFIX = 'kubelet-client';
/** bootstrap.tmpPrivateKeyFile: the bootstrap key, kept until its CSR is signed, so a restart asks again with the same key. */
const TMP_KEY = 'kubelet-client.key.tmp';

export class CertificateStore {
  constructor(
    readonly dir: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** FileStore.CurrentPath: what the written kubeconfig names as its client certificate and key. */
  get currentPath(): string {
    return path.join(this.dir, `${PREFIX}-current.pem`);
  }

  /**
   * FileStore.Current: the pair the current symlink points at, undefined when there is none.
   * Throws when the file is there but unusable (FileStore.recover has finished an interrupted
   * swap first: an `updated` symlink left by a crash becomes `current`).
   */
  current(): CertKeyPair | undefined {
    this.recover();
    if (!existsSync(this.currentPath)) return undefined;
    const text = readFileSync(this.currentPath, 'utf8');
    try {
      return parsePair(text, text);
    } catch (err) {
      throw new Error(`could not convert data from ${this.currentPath} into cert/key pair: ${(err as Error).message}`);
    }
  }

  /**
   * FileStore.Update: writes kubelet-client-<YYYY-MM-DD-HH-MM-SS>.pem (the certificates, then the
   * key; 0600), then points the current symlink at it through an `updated` symlink and a rename,
   * so a reader never sees the link missing.
   */
  update(certPem: string, keyPem: string): CertKeyPair {
    const pair = parsePair(certPem, keyPem);
    mkdirSync(this.dir, { recursive: true, mode: 0o755 });
    const file = path.resolve(this.dir, `${PREFIX}-${timestamp(this.now())}.pem`);
    writeFileSync(file, pair.certPem + pair.keyPem, { mode: 0o600 });
    const updated = path.join(this.dir, `${PREFIX}-updated.pem`);
    for (const link of [this.currentPath, updated]) {
      if (existsLink(link) && !lstatSync(link).isSymbolicLink()) throw new Error(`expected ${link} to be a symlink but it is a file`);
    }
    rmSync(updated, { force: true });
    symlinkSync(file, updated);
    renameSync(updated, this.currentPath);
    return pair;
  }

  /** keyutil.LoadOrGenerateKeyFile on the bootstrap key: the one kept from an unfinished bootstrap, else a new one (0600). */
  loadOrGenerateBootstrapKey(): string {
    const file = path.join(this.dir, TMP_KEY);
    if (existsSync(file)) {
      const kept = readFileSync(file, 'utf8');
      if (kept.includes('PRIVATE KEY-----')) return kept;
    }
    mkdirSync(this.dir, { recursive: true, mode: 0o755 });
    const key = generateKey();
    writeFileSync(file, key, { mode: 0o600 });
    return key;
  }

  /** Drops the bootstrap key once its certificate is stored. */
  removeBootstrapKey(): void {
    rmSync(path.join(this.dir, TMP_KEY), { force: true });
  }

  private recover(): void {
    const updated = path.join(this.dir, `${PREFIX}-updated.pem`);
    if (existsLink(this.currentPath) || !existsLink(updated)) return;
    if (!lstatSync(updated).isSymbolicLink()) throw new Error(`expected ${updated} to be a symlink but it is a file`);
    renameSync(updated, this.currentPath);
  }
}

function existsLink(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Go's "2006-01-02-15-04-05" in local time, as time.Now().Format. */
function timestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}-${p(d.getHours())}-${p(d.getMinutes())}-${p(d.getSeconds())}`;
}
