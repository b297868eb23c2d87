// Types for test-titles.mjs (plain JavaScript, loaded by scripts/test.mjs without tsx).
export const DYNAMIC: unique symbol;
export interface Title {
  kind: 'suite' | 'test';
  parts: Array<string | typeof DYNAMIC>;
}
export function scanTitles(src: string): { titles: Title[]; literals: string[] };
export function patternOf(text: string): RegExp;
export function fileCanMatch(src: string, re: RegExp): boolean;
export function countTests(src: string): number;
