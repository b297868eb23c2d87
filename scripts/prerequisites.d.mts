// Types for prerequisites.mjs (plain JavaScript: it runs before `npm install` on a fresh clone).
export interface Tool {
  why: string;
  file?: [envVar: string, defaultPath: string];
  bin?: string[];
  binVar?: string;
  also?: string[];
}
export const TOOLS: Readonly<Record<string, Tool>>;
export function declaredNeeds(source: string): string[];
export function which(name: string, env?: NodeJS.ProcessEnv): string | undefined;
export function hasTool(name: string, env?: NodeJS.ProcessEnv): boolean;
export function npmProblem(root: string): string | undefined;
export type PrerequisiteResult = { ok: true; missing: string[] } | { ok: false; line: string };
export function ensurePrerequisites(options: {
  root: string;
  needs: Map<string, string[]>;
  install?: boolean;
  skipMissing?: boolean;
  env?: NodeJS.ProcessEnv;
  isRoot?: boolean;
  log?: (line: string) => void;
}): PrerequisiteResult;
export function count(n: number, word: string): string;
export function findTests(dir: string): string[];
export function needsOf(files: string[], read?: (file: string) => string): Map<string, string[]>;
