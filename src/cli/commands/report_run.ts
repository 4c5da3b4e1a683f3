/** `pspseg report` at work (loaded when the command runs). */
import { resolve } from 'node:path';
import { writeReport } from '../../report/report.js';

export async function runReport(o: { folder: string; summary?: string; output?: string }): Promise<number> {
  const { path, inputs } = await writeReport(resolve(o.folder), {
    summary: o.summary === undefined ? undefined : resolve(o.summary),
    output: o.output === undefined ? undefined : resolve(o.output),
  });
  // what leaves a section empty: required inputs, and the evaluation (its section says how to make one)
  const lacking = inputs.files.filter((f) => f.status !== 'read' && (!f.optional || f.what === 'evaluation summary'));
  for (const f of lacking) console.error(`note: ${f.what} ${f.status}: ${f.path}${f.detail ? ` (${f.detail})` : ''}`);
  console.log(path);
  return 0;
}
