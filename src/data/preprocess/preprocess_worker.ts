/** Worker-thread entry point of dataset preprocessing (see preprocess_dataset.ts and util/worker_pool.ts). */
import { serveTasks } from '../../util/worker_pool.js';
import { runPreprocessTask } from './preprocess_task.js';

serveTasks(runPreprocessTask);
