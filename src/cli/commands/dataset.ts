/** `pspseg dataset OUT -i IMAGES -l LABELS`: an nnU-Net v2 dataset folder from loose files. */
import { UsageError, defineCommand } from '../command.js';

const options = {
  images: { type: 'strings', short: 'i', placeholder: 'PATH', help: 'image file, folder or quoted pattern with *; once per channel' },
  labels: { type: 'strings', short: 'l', placeholder: 'PATH', help: 'label file, folder or quoted pattern with *' },
  'channel-names': { type: 'string', placeholder: 'A,B', help: "channel names in order (a channel named CT gets CT normalisation)", defaultText: 'image' },
  'label-names': { type: 'string', placeholder: 'NAMES', help: "names of the label values found: 'a,b' (ascending values) or '1=a,2=b'", defaultText: 'label_<value>' },
  name: { type: 'string', placeholder: 'NAME', help: 'dataset name', defaultText: "OUT's folder name" },
  copy: { type: 'boolean', help: 'copy the files (default: symbolic links to them)' },
  force: { type: 'boolean', help: "replace the imagesTr/, labelsTr/ and dataset.json of a dataset already in OUT" },
} as const;

export const dataset = defineCommand({
  name: 'dataset',
  summary: 'make an nnU-Net v2 dataset folder from loose image and label files',
  args: [{ name: 'OUT' }],
  description: `Makes OUT/imagesTr/CASE_XXXX<ending>, OUT/labelsTr/CASE<ending> and OUT/dataset.json (channel names, the
labels found in the label files, numTraining, file_ending) from image and label files, as nnU-Net's
dataset conversion scripts do. Each --images/--labels PATH is a file, a folder (its .nii/.nii.gz
files) or a pattern with * (quote it: pspseg matches it). Files pair into cases by name: equal
names, a label named like its image plus a suffix (ct.nii.gz, ct_seg.nii.gz), or what the *s of a
pattern matched ('data/*/flair.nii.gz' pairs by folder). With several channels give --images once
per channel, in --channel-names order. Then: pspseg check OUT.`,
  options,
  check: (o) => {
    if (!o.images.length) throw new UsageError('-i/--images is required');
    if (!o.labels.length) throw new UsageError('-l/--labels is required');
    if (channelNames(o['channel-names'])?.some((n) => !n)) throw new UsageError(`--channel-names must be names separated by commas, got '${o['channel-names']}'`);
  },
  run: async (o, [out]) => (await import('./dataset_run.js')).runDataset({
    out: out!, images: o.images, labels: o.labels, channelNames: channelNames(o['channel-names']), labelNames: o['label-names'], name: o.name, copy: o.copy, force: o.force,
  }),
});

function channelNames(text: string | undefined): string[] | undefined {
  return text?.split(',').map((n) => n.trim());
}
