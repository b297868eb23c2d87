// Keeps the `// @needs` lines honest (a file that starts a tool without naming it would fail,
// not skip, on a machine without that tool), and checks how --grep reads test titles.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { declaredNeeds, findTests, TOOLS } from '../../../scripts/prerequisites.mjs';
import { countTests, fileCanMatch, patternOf } from '../../../scripts/test-titles.mjs';
import { detectNeeds } from './detect-needs.ts';

const ROOT = join(import.meta.dirname, '../../..');

describe('@needs lines', () => {
  // This folder's own tests only talk about the tools (in titles and rules), they start none.
  const files = ['test/unit', 'test/integration', 'test/e2e']
    .flatMap((d) => findTests(join(ROOT, d)))
    .filter((f) => !relative(ROOT, f).startsWith('test/unit/scripts/'));

  it('every test file names each tool its code starts, and only known tools', () => {
    assert.ok(files.length > 50);
    const wrong: string[] = [];
    for (const abs of files) {
      const file = relative(ROOT, abs);
      const declared = declaredNeeds(readFileSync(abs, 'utf8'));
      for (const tool of declared) if (!(tool in TOOLS)) wrong.push(`${file}: unknown tool ${tool}`);
      for (const tool of detectNeeds(file, ROOT))
        if (!declared.includes(tool)) wrong.push(`${file}: starts ${tool}; add it to its // @needs line`);
    }
    assert.deepEqual(wrong, []);
  });

  it('reads the line among the first lines, split on commas or spaces', () => {
    assert.deepEqual(declaredNeeds('// @needs chromium, coturn\nimport x from "y";'), ['chromium', 'coturn']);
    assert.deepEqual(declaredNeeds('/** doc */\n//  @needs janus redis-server\n'), ['janus', 'redis-server']);
    assert.deepEqual(declaredNeeds('import x from "y";\n'), []);
  });
});

describe('--grep reads titles', () => {
  const src = `
describe('room screen', () => {
  it('works on a phone-sized screen', () => {});
  for (const kind of ['chromium', 'firefox']) {
    it(\`\${kind} calls \${other(kind)}, video decoded\`, () => {});
  }
  test(caseName, () => {});
});
const caseName = 'from a variable';
`;
  const can = (p: string) => fileCanMatch(src, patternOf(p));

  it('matches plain titles, template parts from the file and variables holding its literals', () => {
    assert.ok(can('phone-sized'));
    assert.ok(can('firefox calls'));
    assert.ok(can('firefox calls chromium, video'));
    assert.ok(can('from a variable'));
    assert.ok(can('/PHONE/i'));
    assert.ok(can('room screen works'), 'a suite name and a test name joined by a space');
    assert.ok(!can('desktop-sized'));
    assert.ok(!can('safari calls'));
  });

  it('matches a title whose run-time part joins several of the file literals', () => {
    const table = `
const bad = [[['send', 'f', '--to', 'a'], /x/], [['check', '--name', 'x'.repeat(33)], /y/]];
for (const [argv] of bad) test(\`usage error: parley \${argv.join(' ')}\`, () => {});
`;
    assert.ok(fileCanMatch(table, patternOf('usage error: parley send f --to a')));
    assert.ok(fileCanMatch(table, patternOf(`parley check --name ${'x'.repeat(33)}`)));
    assert.ok(!fileCanMatch(table, patternOf('usage error: parley receive')));
  });

  it('counts the tests a skipped file holds', () => {
    assert.equal(countTests(src), 3);
    assert.equal(countTests('export {};'), 1);
  });
});
