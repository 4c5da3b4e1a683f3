/** Every pspseg command, by name. Definitions only: loading this list loads no engine. */
import { type Command } from '../command.js';
import { app } from './app.js';
import { check } from './check.js';
import { dataset } from './dataset.js';
import { demo } from './demo.js';
import { evaluate } from './evaluate.js';
import { exportCommand } from './export.js';
import { info } from './info.js';
import { model } from './model.js';
import { plan } from './plan.js';
import { predict } from './predict.js';
import { preprocess } from './preprocess.js';
import { report } from './report.js';
import { train } from './train.js';

export const commands: readonly Command[] = [app, check, dataset, demo, evaluate, exportCommand, info, model, plan, predict, preprocess, report, train];
