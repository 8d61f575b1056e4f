import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, leadflow, tempDir } from './helpers';

let dir: string;
beforeAll(() => {
  dir = tempDir();
});

/** rules/v1.json changed by `change`, written as `name` in the temporary directory. */
function ruleFile(name: string, change: (json: Record<string, any>) => void = () => {}): string {
  const json = JSON.parse(readFileSync(join(ROOT, 'rules/v1.json'), 'utf8'));
  change(json);
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(json, null, 2));
  return file;
}

const webinarCase = (band: string) => ({
  name: 'webinar alone',
  events: [{ type: 'webinar_attended', occurredAt: '2026-01-05T09:00:00Z' }],
  expect: { band, fired: ['webinar-attended'] },
});

describe('leadflow rules test', () => {
  it('runs the reference cases of v1, all passing', async () => {
    const { code, stdout } = await leadflow('rules', 'test', 'v1');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^rules\/v1\.json: \d+ cases, all passed$/);
    expect(lines.slice(1).every((line) => line.startsWith('  ✓ '))).toBe(true);
    expect(lines).toContain("  ✓ an existing customer's contact request goes straight to SQL");
  });

  it('marks a failing case with its first difference and exits non-zero', async () => {
    const file = ruleFile('wrong.json', (json) => {
      json.cases = [webinarCase('cold'), webinarCase('warm')].map((c, i) => ({ ...c, name: `${c.name} ${i + 1}` }));
    });
    const { code, stdout } = await leadflow('rules', 'test', file);
    expect(code).toBe(1);
    expect(stdout).toBe(
      `${file}: 2 cases, 1 failed\n` +
        '  ✓ webinar alone 1\n' +
        '  ✗ webinar alone 2\n' +
        '      band: expected warm, got cold (score 20, warm from 30)\n',
    );
  });

  it('runs the cases kept beside a version against a changed copy of it', async () => {
    const sub = tempDir();
    const file = join(sub, 'v1.json');
    const json = JSON.parse(readFileSync(join(ROOT, 'rules/v1.json'), 'utf8'));
    json.scoring.find((rule: { id: string }) => rule.id === 'webinar-attended').points = 15;
    writeFileSync(file, JSON.stringify(json));
    copyFileSync(join(ROOT, 'rules/v1.cases.json'), join(sub, 'v1.cases.json'));
    const { code, stdout } = await leadflow('rules', 'test', file);
    expect(code).toBe(1);
    expect(stdout).toContain('  ✗ webinar attended gives 20\n      score: expected at least 20, got 15 (fit 0, engagement 15)\n');
  });

  it('refuses a case file of another version', async () => {
    const sub = tempDir();
    const file = join(sub, 'v2.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(join(ROOT, 'rules/v1.json'), 'utf8')), version: 'v2', parent: 'v1' }));
    copyFileSync(join(ROOT, 'rules/v1.cases.json'), join(sub, 'v2.cases.json'));
    const { code, stderr } = await leadflow('rules', 'test', file);
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(`${join(sub, 'v2.cases.json')}: version: holds cases of v1, not of v2`);
  });

  it('says so when a rule file has no cases', async () => {
    const file = ruleFile('plain.json');
    const { code, stdout } = await leadflow('rules', 'test', file);
    expect(code).toBe(0);
    expect(stdout).toBe(`${file}: no cases\n`);
  });
});

describe('leadflow rules validate', () => {
  it('runs the cases too, and fails when one fails', async () => {
    const file = ruleFile('validate-wrong.json', (json) => {
      json.cases = [webinarCase('hot')];
    });
    const { code, stdout } = await leadflow('rules', 'validate', file);
    expect(code).toBe(1);
    expect(stdout).toContain(`${file}: valid rule set v1`);
    expect(stdout).toContain('  ✗ webinar alone\n      band: expected hot, got cold (score 20, hot from 60)\n');
  });

  it('reports a bad case with its path, like any other problem', async () => {
    const file = ruleFile('bad-case.json', (json) => {
      json.cases = [{ ...webinarCase('cold'), expect: { band: 'tepid' } }];
    });
    const { code, stderr } = await leadflow('rules', 'validate', file);
    expect(code).toBe(1);
    expect(stderr).toContain(`${file}: cases[0].expect.band: `);
  });
});
