/**
 * CPU time and peak memory of another process, read from /proc (Linux): utime + stime from
 * /proc/<pid>/stat (every thread of the process), VmHWM from /proc/<pid>/status, and a reset of
 * VmHWM (writing 5 to /proc/<pid>/clear_refs) so a long-running server's peak covers one download.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

let clockTicks: number | null = null;

function ticksPerSecond(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU seconds the process has used so far; null when it is gone. */
export function cpuSecondsOf(pid: number): number | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name may hold spaces and parentheses: fields are counted after its closing one.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat(5) are utime and stime; the slice starts at field 3.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / ticksPerSecond();
}

function statusField(pid: number, field: string): number | null {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
      readFileSync(`/proc/${pid}/status`, 'utf8'),
    );
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Highest resident set size so far (since start or the last reset), in bytes. */
export function peakRssOf(pid: number): number | null {
  return statusField(pid, 'VmHWM');
}

export function currentRssOf(pid: number): number | null {
  return statusField(pid, 'VmRSS');
}

/** Lowers the recorded peak to the current RSS; false when the kernel does not allow it. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
