/** `pspseg dataset` at work (loaded when the command runs). */
import { relative } from 'node:path';
import { type BuildDatasetOptions, DatasetInputError, buildDataset } from '../../data/dataset/dataset_build.js';
import { UsageError } from '../command.js';

export async function runDataset(o: BuildDatasetOptions): Promise<number> {
  try {
    const d = await buildDataset(o);
    for (const note of d.notes) console.log(`note: ${note}`);
    const first = d.cases[0]!;
    console.log([
      `${d.root}: ${d.cases.length} case(s), ${first.images.length} channel(s), labels ${Object.entries(d.labels).map(([n, v]) => `${v} ${n}`).join(', ')}, file ending ${d.fileEnding} (${o.copy ? 'copies' : 'links'})`,
      `  e.g. ${first.id}: ${first.sources.map((s) => relative(process.cwd(), s) || s).join(' + ')}`,
      `next: pspseg check ${d.root}`,
    ].join('\n'));
    return 0;
  } catch (err) {
    if (err instanceof DatasetInputError) throw new UsageError(err.message);
    throw err;
  }
}
