// The README and docs/ link to each other by relative paths: every such link must name a file (and heading) that exists.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const root = path.join(import.meta.dirname, '../..');
const pages = ['README.md', ...readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set(text.split('\n').filter((l) => /^#{1,6} /.test(l)).map((l) => slug(l.replace(/^#+ /, ''))));
}

/** Relative links of a page, outside code blocks and code spans. */
function linksOf(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
}

test('every relative link in the README and docs/ names an existing file and heading', () => {
  const broken: string[] = [];
  let checked = 0;
  for (const page of pages) {
    const file = path.join(root, page);
    for (const link of linksOf(file)) {
      checked++;
      const [target, anchor] = link.split('#');
      const targetFile = target ? path.resolve(path.dirname(file), target) : file;
      if (!existsSync(targetFile)) broken.push(`${page}: ${link} (no such file)`);
      else if (anchor && targetFile.endsWith('.md') && !anchorsOf(targetFile).has(anchor)) broken.push(`${page}: ${link} (no such heading)`);
    }
  }
  assert.ok(checked > 20, `only ${checked} links found: the link pattern no longer matches`);
  assert.deepEqual(broken, []);
});

test('the slug is GitHub\'s', () => {
  assert.equal(slug('QoS and cgroups'), 'qos-and-cgroups');
  assert.equal(slug('The node API (HTTPS, `--port`)'), 'the-node-api-https---port');
});
