/**
 * Accessibility scans for the web e2e tests with axe-core (the engine itself, injected into the
 * page through the DevTools protocol, so the app's Content-Security-Policy needs no exception):
 * the WCAG 2.0/2.1 A and AA rules and axe's best practices, reduced to the violations of the
 * impacts asked for, each with the rule, its help text and where it was found.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** One rule broken on the page. */
export interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  /** Up to five places: the element's selector and axe's explanation of what is wrong. */
  nodes: { target: string; summary: string }[];
}

/**
 * Runs axe on `page` as it is now and returns the violations whose impact is in `impacts`
 * (default: serious and critical).
 */
export async function axeViolations(
  page: Page,
  impacts: readonly string[] = ['serious', 'critical'],
): Promise<AxeViolation[]> {
  const loaded = await page.evaluate('typeof window.axe === "object"');
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const violations = (await page.evaluate(`(async () => {
    const result = await window.axe.run(document, {
      resultTypes: ['violations'],
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact || 'unknown',
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target.join(' '), summary: n.failureSummary || '' })),
    }));
  })()`)) as AxeViolation[];
  return violations.filter((v) => impacts.includes(v.impact));
}

/** A readable list of violations for an assertion message. */
export function describeViolations(violations: readonly AxeViolation[]): string {
  return violations
    .map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help}\n${v.nodes.map((n) => `  ${n.target}: ${n.summary.replace(/\s+/g, ' ')}`).join('\n')}`,
    )
    .join('\n');
}
