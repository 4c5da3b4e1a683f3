/** Worker-thread entry point for per-case jobs (see case_task.ts and util/worker_pool.ts). */
import { serveTasks } from '../../util/worker_pool.js';
import { runCaseTask } from './case_task.js';

serveTasks(runCaseTask);
