/**
 * The shape of a `bench:sfu` report and its SFU-against-mesh comparisons, shared by run.ts
 * (which writes it) and to-markdown.ts (which renders it for docs/BENCHMARKS.md).
 */
import { ratio } from './figures.ts';
import type { CellReport, Mode } from './room-cell.ts';

/** A cell that could not be measured: it threw, or the run's deadline had passed. */
export interface CellFailure {
  mode: Mode;
  participants: number;
  error?: string;
  skipped?: string;
}

export type CellEntry = CellReport | CellFailure;

export const measured = (c: CellEntry | undefined): c is CellReport => c !== undefined && 'cpu' in c;

/** SFU against mesh for each size: ratios (SFU / mesh) and the absolute figures beside them. */
export function compare(cells: readonly CellEntry[], sizes: readonly number[]) {
  return sizes.map((n) => {
    const mc = cells.find((c) => c.mode === 'mesh' && c.participants === n);
    const sc = cells.find((c) => c.mode === 'sfu' && c.participants === n);
    const m = measured(mc) ? mc : undefined;
    const s = measured(sc) ? sc : undefined;
    return {
      participants: n,
      forwardedStreams: n * (n - 1),
      sfuVsMesh: {
        clientCpuPerParticipant: ratio(s?.cpu.chromiumPerParticipant, m?.cpu.chromiumPerParticipant),
        totalCpu: ratio(s?.cpu.total, m?.cpu.total),
        decodedFpsPerStreamMedian: ratio(
          s?.video.decodedFpsPerStream.median,
          m?.video.decodedFpsPerStream.median,
        ),
        uplinkPerParticipantMedian: ratio(s?.network.uplinkKbps.median, m?.network.uplinkKbps.median),
        joinToAllFirstFramesMedian: ratio(s?.joinToFirstFrame.medianAllMs, m?.joinToFirstFrame.medianAllMs),
        joinToEachFirstFrameMedian: ratio(s?.joinToFirstFrame.medianEachMs, m?.joinToFirstFrame.medianEachMs),
      },
      clientCpuPerParticipant: {
        mesh: m?.cpu.chromiumPerParticipant ?? null,
        sfu: s?.cpu.chromiumPerParticipant ?? null,
      },
      serverSideCpu: { meshParley: m?.cpu.serverSide ?? null, sfuParleyAndJanus: s?.cpu.serverSide ?? null },
      janusPerForwardedStream: s?.cpu.janusPerForwardedStream ?? null,
      parleyAndJanusPerForwardedStream: s?.cpu.parleyAndJanusPerForwardedStream ?? null,
      clientPerDecodedStream: {
        mesh: m?.cpu.chromiumPerDecodedStream ?? null,
        sfu: s?.cpu.chromiumPerDecodedStream ?? null,
      },
    };
  });
}

/** The whole JSON document `bench:sfu` prints. */
export interface SfuBenchReport {
  bench: 'sfu';
  date: string;
  command: string;
  git: { commit: string; uncommittedInPackages: string[] };
  machine: {
    nproc: number;
    cpuModel: string;
    memTotalGiB: number;
    node: string;
    loadavg: { start: number[]; end: number[] };
  };
  method: { sizes: number[]; settleS: number; windowS: number } & Record<string, unknown>;
  cells: CellEntry[];
  comparisons: ReturnType<typeof compare>;
  durationS: number;
}
