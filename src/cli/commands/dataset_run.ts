/** `pspseg dataset` at work (loaded when the command runs). */
import { relative } from 'node:path';
import { DatasetInputError, buildDataset } from '../../data/dataset/dataset_build.js';
import { UsageError } from '../command.js';
import type { DatasetOptions } from './dataset.js';

export async function runDataset(o: DatasetOptions, out: string): Promise<number> {
  if (!o.images.length) throw new UsageError('-i/--images is required');
  if (!o.labels.length) throw new UsageError('-l/--labels is required');
  const channelNames = o['channel-names']?.split(',').map((n) => n.trim());
  if (channelNames && channelNames.some((n) => !n)) throw new UsageError(`--channel-names must be names separated by commas, got '${o['channel-names']}'`);
  try {
    const d = await buildDataset({
      out, images: o.images, labels: o.labels, channelNames, labelNames: o['label-names'], name: o.name, copy: o.copy, force: o.force,
    });
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
