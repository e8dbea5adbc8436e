/**
 * CPU seconds of each thread of this process, from /proc/self/task: which thread does the work
 * (the main thread's event loop, the file system thread pool, the hashing worker, V8's helpers).
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ThreadCpu {
  tid: number;
  name: string;
  cpuSeconds: number;
}

const TICKS_PER_SECOND = 100;

export function threadCpuSnapshot(): Map<number, ThreadCpu> {
  const threads = new Map<number, ThreadCpu>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return threads;
  }
  for (const tid of tids) {
    try {
      const text = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
      threads.set(Number(tid), { tid: Number(tid), name, cpuSeconds });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return threads;
}

/** CPU each thread used since `before`, busiest first; the main thread is named "main". */
export function threadCpuSince(before: Map<number, ThreadCpu>): ThreadCpu[] {
  const after = threadCpuSnapshot();
  const used: ThreadCpu[] = [];
  for (const thread of after.values()) {
    const cpuSeconds = thread.cpuSeconds - (before.get(thread.tid)?.cpuSeconds ?? 0);
    if (cpuSeconds <= 0) continue;
    used.push({ ...thread, name: thread.tid === process.pid ? 'main' : thread.name, cpuSeconds });
  }
  return used.sort((a, b) => b.cpuSeconds - a.cpuSeconds);
}
