// The live page (/ui/) in a real headless browser (Debian's chromium, driven by playwright-core) against a real agent on the real containerd.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { containerStatus, podYaml, startAgent, type Agent } from '../support/agent.js';

/** scripts/test.sh installs it (scripts/browser.sh) and says where. */
const CHROMIUM = process.env.MINI_KUBELET_CHROMIUM ?? '/usr/bin/chromium';
const VIEWPORT = { width: 1280, height: 800 };
/** What the browser's page may take on a loaded machine: a relist, a restart, the watch. */
const UI_TIMEOUT_MS = 60_000;

let agent: Agent;
let browser: BrowserContext;
let page: Page;
let tmp: string;

const full = (name: string) => `default/${name}-${agent.nodeName}`;
const card = (name: string) => page.locator(`[data-pod="${full(name)}"]`);
const cell = (name: string, container: string, cls: string) => card(name).locator(`[data-container="${container}"] .${cls}`);

before(async () => {
  assert.ok(existsSync(CHROMIUM), `no browser at ${CHROMIUM}: run the test through scripts/test.sh, which installs Debian's chromium`);
  tmp = mkdtempSync(path.join(tmpdir(), 'mk-e2e-ui-'));
  agent = await startAgent({ name: 'ui' });
  agent.writeManifest('ui-web.yaml', podYaml('ui-web', `
  terminationGracePeriodSeconds: 2
  containers:
    - name: sleeper
      image: busybox:1.36
      command: ["sleep", "3600"]
`));
  // A message that holds markup, as any container may write to its termination log.
  agent.writeManifest('ui-mark.yaml', podYaml('ui-mark', `
  restartPolicy: Never
  containers:
    - name: marker
      image: busybox:1.36
      command: ["sh", "-c", "printf '<img src=x id=pwned>' > /dev/termination-log; exit 1"]
`));
  // A fresh profile, no network of its own beyond the page, no downloads of any kind.
  browser = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: VIEWPORT,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(UI_TIMEOUT_MS);
});

after(async () => {
  await browser?.close();
  await agent?.cleanup();
  if (tmp && !process.env.MK_E2E_KEEP_UI) rmSync(tmp, { recursive: true, force: true });
});

describe('the live page', () => {
  it('loads and shows the pod the test started: its sandbox (id, attempt, IP) and its running container', async () => {
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`http://127.0.0.1:${agent.port}/ui/`);
    await page.locator('#conn[data-state="live"]').waitFor();
    await cell('ui-web', 'sleeper', 'state').filter({ hasText: 'Running' }).waitFor();
    assert.equal(await cell('ui-web', 'sleeper', 'restarts').textContent(), '0');

    const pod = await agent.pod('ui-web');
    const [sandbox] = await agent.cri.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': pod!.metadata!.uid! } });
    assert.ok(sandbox, 'the runtime has the sandbox');
    await card('ui-web').locator('.sandbox-id').filter({ hasText: sandbox.id.slice(0, 13) }).waitFor();
    const line = await card('ui-web').locator('.sandbox').textContent();
    assert.match(line!, /attempt 0 · ready · IP \d+\.\d+\.\d+\.\d+/);
    assert.deepEqual(pageErrors, []);
  });

  it("shows a selected pod's CRI calls as a waterfall, under the sync step that made them, and its events", async () => {
    await card('ui-web').click();
    for (const call of ['ImageStatus', 'RunPodSandbox', 'PodSandboxStatus', 'CreateContainer', 'StartContainer']) {
      await page.locator(`#waterfall [data-call="${call}"]`).first().waitFor();
    }
    await page.locator('#waterfall .why', { hasText: 'create sandbox (attempt 0): no sandbox for the pod yet' }).waitFor();
    await page.locator('#waterfall .why', { hasText: 'start container sleeper: not started yet' }).waitFor();
    await page.locator('#events tr[data-reason="Started"]').waitFor();
  });

  it('shows the change when a container is killed behind the agent: restarts 0 → 1, the last exit, the restart in the waterfall', async () => {
    const id = containerStatus(await agent.pod('ui-web'), 'sleeper')!.containerID!.replace('containerd://', '');
    await agent.cri.stopContainer(id, 0);
    await cell('ui-web', 'sleeper', 'restarts').filter({ hasText: /^1$/ }).waitFor();
    const lastExit = await cell('ui-web', 'sleeper', 'last-exit').textContent();
    assert.match(lastExit!, /^137 \(Error\)/);
    await cell('ui-web', 'sleeper', 'state').filter({ hasText: 'Running' }).waitFor();
    await page.locator('#waterfall .why', { hasText: 'start container sleeper (restart 1): exited with code 137, restartPolicy Always' }).waitFor();
  });

  it('shows what a pod says (here a termination message with markup) as text, never as markup', async () => {
    const state = cell('ui-mark', 'marker', 'state');
    await state.filter({ hasText: '<img src=x id=pwned>' }).waitFor();
    assert.equal(await page.locator('#pwned').count(), 0);
    assert.equal(await page.locator('#pods img').count(), 0);
  });

  it('renders to a real, non-blank screenshot of the viewport size', async (t) => {
    await card('ui-web').click();
    const file = path.join(tmp, 'ui.png');
    await page.screenshot({ path: file });
    t.diagnostic(`screenshot: ${file}`);
    const png = readFileSync(file);
    assert.equal(png.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'a PNG signature');
    assert.equal(png.subarray(12, 16).toString('latin1'), 'IHDR');
    assert.deepEqual({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) }, VIEWPORT);
    // Decoded by the browser itself: many colours, and a good share of the pixels not background.
    const seen = await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      [canvas.width, canvas.height] = [img.width, img.height];
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const data = ctx.getImageData(0, 0, img.width, img.height).data;
      const colours = new Map<number, number>();
      for (let i = 0; i < data.length; i += 4) {
        const key = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
        colours.set(key, (colours.get(key) ?? 0) + 1);
      }
      const top = Math.max(...colours.values());
      return { colours: colours.size, notBackground: 1 - top / (data.length / 4) };
    }, png.toString('base64'));
    assert.ok(seen.colours > 50, `a drawn page has many colours (got ${seen.colours})`);
    assert.ok(seen.notBackground > 0.2, `more than a fifth of the page is drawn (got ${seen.notBackground.toFixed(2)})`);
  });
});
