// Turns the fault suite's records (one JSON line each, test/support/faults.ts recordFault) into the Markdown table of docs/faults.md.
//
//   node --import tsx scripts/faults-table.ts RECORDS.jsonl
// Records of the same fault are summed: times tried and what was lost; the notes of each run are kept.
import { readFileSync } from 'node:fs';

interface Rec { kind: string; what: string; times: number; unit: string; lost: number; lostWhat?: string; notes?: string; size: string }

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: faults-table.ts RECORDS.jsonl\n');
  process.exit(2);
}
const rows = new Map<string, Rec & { runs: number; notesAll: string[] }>();
for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
  const r = JSON.parse(line) as Rec;
  const row = rows.get(r.what) ?? rows.set(r.what, { ...r, times: 0, lost: 0, runs: 0, notesAll: [] }).get(r.what)!;
  row.times += r.times;
  row.lost += r.lost;
  row.runs++;
  if (r.lostWhat) row.notesAll.push(`lost: ${r.lostWhat}`);
  if (r.notes) row.notesAll.push(`${r.size}: ${r.notes}`);
}
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const out = ['| | fault | tried | lost | figures |', '|---|---|---|---|---|'];
for (const r of rows.values()) {
  out.push(`| ${r.kind} | ${cell(r.what)} | ${r.times} ${r.unit} (${r.runs} ${r.runs === 1 ? 'run' : 'runs'}) | ${r.lost} | ${cell(r.notesAll.join('; '))} |`);
}
process.stdout.write(out.join('\n') + '\n');
