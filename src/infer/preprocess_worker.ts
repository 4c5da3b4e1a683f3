/** Worker-thread entry point: preprocessing of input cases for prediction (preprocess_input.ts). */
import { serveTasks } from '../util/worker_pool.js';
import { preprocessForPrediction } from './preprocess_input.js';

serveTasks(preprocessForPrediction);
