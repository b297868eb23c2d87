/**
 * Reads process and machine figures from Linux's /proc. The benchmark charges a server for the
 * CPU time the kernel accounted to its process (all threads: JS, GC, libuv pool), which holds
 * up on a shared, noisy machine far better than wall-clock throughput does.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

let clockTicksPerSecond: number | undefined;

/** The kernel's USER_HZ (clock ticks per second, almost always 100), asked once of `getconf`. */
export function clockTicks(): number {
  if (clockTicksPerSecond === undefined) {
    try {
      const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
      clockTicksPerSecond = Number.isFinite(n) && n > 0 ? n : 100;
    } catch {
      clockTicksPerSecond = 100;
    }
  }
  return clockTicksPerSecond;
}

/** CPU time (user + system) the process has used so far, in milliseconds (resolution 1/CLK_TCK s). */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: split after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so utime (field 14) is rest[11] and stime (field 15) rest[12].
  const ticks = Number(rest[11]) + Number(rest[12]);
  return (ticks * 1000) / clockTicks();
}

/** Resident set size and its high-water mark, in KiB, from /proc/<pid>/status. */
export function processMemoryKiB(pid: number): { rssKiB: number; hwmKiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    return m ? Number(m[1]) : Number.NaN;
  };
  return { rssKiB: field('VmRSS'), hwmKiB: field('VmHWM') };
}

/**
 * Times the process was switched out while it still wanted to run (from /proc/<pid>/status):
 * a direct sign that other work on the machine competed with it for a core.
 */
export function involuntarySwitches(pid: number): number {
  const m = /^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

/** Busy and total jiffies over all cores since boot, from the first line of /proc/stat. */
export function hostCpuTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  // Fields: user nice system idle iowait irq softirq steal guest guest_nice; idle + iowait is not busy.
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

/** Share of all cores' time that was busy between two hostCpuTicks() samples, in percent. */
export function hostBusyPercent(
  a: { busy: number; total: number },
  b: { busy: number; total: number },
): number {
  const total = b.total - a.total;
  return total > 0 ? (100 * (b.busy - a.busy)) / total : 0;
}

/** The soft and hard limits on open files of the current process, from /proc/self/limits. */
export function openFileLimits(): { soft: number; hard: number } {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  const num = (s: string | undefined) => (s === undefined || s === 'unlimited' ? Infinity : Number(s));
  return { soft: num(m?.[1]), hard: num(m?.[2]) };
}

/** What the figures were measured on, for the report. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memTotalMiB: number;
  node: string;
  kernel: string;
  platform: string;
  loadAverage1m: number;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memTotalMiB: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    kernel: os.release(),
    platform: `${os.platform()}-${os.arch()}`,
    loadAverage1m: Number(os.loadavg()[0]?.toFixed(2)),
  };
}

/** pid → parent pid, for every process visible now. */
export function parentPids(): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(name), Number(rest[1]));
    } catch {
      // The process ended meanwhile.
    }
  }
  return out;
}

/** `roots` and every process below them, by `parent` (pid → parent pid). */
export function withDescendants(roots: Iterable<number>, parent: Map<number, number>): Set<number> {
  const ours = new Set<number>(roots);
  let grew = ours.size > 0;
  for (let guard = 0; grew && guard < 50; guard++) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (!ours.has(pid) && ours.has(ppid)) {
        ours.add(pid);
        grew = true;
      }
    }
  }
  return ours;
}
