/** Worker-thread entry point: evaluates cases sent by evaluate_folder.ts (see util/worker_pool.ts). */
import { serveTasks } from '../util/worker_pool.js';
import { runEvalCaseTask } from './case_task.js';

serveTasks(runEvalCaseTask);
