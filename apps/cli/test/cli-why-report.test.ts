import { afterEach, describe, expect, test } from 'vitest';
import { runCli } from './support/cli-process.js';
import { createCliSetup, type CliSetup } from './support/cli-setup.js';

const setups: CliSetup[] = [];
afterEach(async () => {
  for (const setup of setups.splice(0)) await setup.remove();
});

describe('pypi-watch why / report', () => {
  test('why tells what happened to a release; report summarises outcomes', async () => {
    const setup = await createCliSetup();
    setups.push(setup);
    const cli = (...args: string[]) => runCli([...args, '--config', setup.configFile], { env: setup.env });

    expect((await cli('enqueue', 'Some_Package==1.0')).code).toBe(0);
    const why = await cli('why', 'some-package==1.0');
    expect(why.code, why.stderr).toBe(0);
    expect(why.stdout).toMatch(/some-package==1\.0:\n {2}\S+ 1\.0: queued by enqueue as 1 submit job\(s\) in submit-log-\d{8}-\d{6}/);

    const unknown = await cli('why', 'never-seen');
    expect(unknown.stdout).toContain('nothing recorded');
    const invalid = await cli('why', '../etc/passwd');
    expect(invalid.stdout).toMatch(/not a valid PyPI project name/);

    const report = await cli('report', '--json');
    expect(report.code, report.stderr).toBe(0);
    expect(JSON.parse(report.stdout)).toMatchObject({ total: 0, byStatus: { success: 0, failure: 0 }, successRate: 0 });
    const bad = await cli('report', '--since', 'forever');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since expects a duration');
  }, 60_000);
});
