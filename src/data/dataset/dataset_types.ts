/** The in-memory description of a dataset that both layouts (dataset_msd.ts, dataset_nnunet.ts) produce. */
export type DatasetLayout = 'msd' | 'nnunetv2';

export interface DatasetLabel {
  name: string;
  /** The voxel value of this class in label files (for an nnU-Net region: the value it is exported as). */
  value: number;
  /** nnU-Net v2 region labels: the label values the region is made of. */
  region?: number[];
}

export interface DatasetCase {
  id: string;
  /** Absolute image paths: one per channel ('separate'), or one file holding every channel along dim 4 ('4d'). */
  images: string[];
  channelInFile: 'separate' | '4d';
  /** Absolute label path; absent for test cases. */
  label?: string;
}

export interface Dataset {
  /** Absolute path of the dataset folder. */
  root: string;
  /** Absolute path of its dataset.json. */
  datasetJson: string;
  name: string;
  description?: string;
  layout: DatasetLayout;
  /** Input channel names in channel order (MSD 'modality', nnU-Net v2 'channel_names'). */
  channelNames: string[];
  /** Classes sorted by value, background (0) first. */
  labels: DatasetLabel[];
  /** File name ending of images and labels, e.g. '.nii.gz'. */
  fileEnding: string;
  /** Training cases (with labels), sorted by id for nnU-Net v2, in dataset.json order for MSD. */
  cases: DatasetCase[];
  /** Test cases (images only), from the MSD 'test' list or nnU-Net v2 imagesTs/. */
  testCases: DatasetCase[];
  /** numTraining as dataset.json declares it, if it does. */
  numTraining?: number;
  /** Files in imagesTr/ or labelsTr/ that belong to no case (unlisted, or not named CASE_XXXX). */
  strayFiles: string[];
  /** The parsed dataset.json. */
  json: Record<string, unknown>;
}
