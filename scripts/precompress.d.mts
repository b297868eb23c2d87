// Types for precompress.mjs (plain JavaScript: imported by the Vite config and scripts/build.mjs).
export interface PrecompressTotals {
  files: number;
  raw: number;
  br: number;
  gzip: number;
}
export function precompressDir(dir: string): PrecompressTotals;
