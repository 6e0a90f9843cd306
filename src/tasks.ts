// The table of tasks, in the order of --help; each family's definitions live in tasks/.
import type { TaskDef } from "./tasks/task-def.js";
import {
  createSnapTask,
  getCollTask,
  getCollaTask,
  getSnapS3Task,
  getSnapTask,
  recoverCollaTask,
  recoverSnapTask,
} from "./tasks/legacy.js";
import { createSnapShardsTask, recoverSnapShardsTask } from "./tasks/sets.js";
import { createFullSnapTask, getFullSnapTask, recoverFullSnapTask } from "./tasks/full.js";
import { downloadSnapTask, uploadSnapTask } from "./tasks/snapshot-files.js";
import { doctorTask, drillTask, pruneSnapTask, resetTask, statusTask } from "./tasks/operator.js";

export type { TaskDef } from "./tasks/task-def.js";

export const TASKS: readonly TaskDef[] = [
  getCollTask,
  createSnapTask,
  createSnapShardsTask,
  getSnapTask,
  getSnapS3Task,
  recoverSnapTask,
  recoverSnapShardsTask,
  getCollaTask,
  recoverCollaTask,
  createFullSnapTask,
  getFullSnapTask,
  recoverFullSnapTask,
  downloadSnapTask,
  uploadSnapTask,
  pruneSnapTask,
  resetTask,
  drillTask,
  doctorTask,
  statusTask,
];

const BY_NAME = new Map(TASKS.flatMap((t) => [t.name, ...t.aliases].map((n) => [n, t] as const)));

/** The task for a name or long alias, or undefined. */
export function findTask(name: string): TaskDef | undefined {
  return BY_NAME.get(name);
}
