/** Worker-thread entry point of the fingerprint (see fingerprint.ts and util/worker_pool.ts). */
import { serveTasks } from '../../util/worker_pool.js';
import { runFingerprintTask } from './fingerprint_case.js';

serveTasks(runFingerprintTask);
