import { parseArgs } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run, UsageError } from '../../scripts/run.ts';

/** What `run` wrote to stderr, and the exit code it set, for a script whose main throws `error`. */
async function failure(error: () => unknown) {
  let written = '';
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((written += String(chunk)), true));
  try {
    await run('script failed', async () => {
      throw error();
    });
  } finally {
    write.mockRestore();
  }
  return { written, exitCode: process.exitCode };
}

describe('a script run', () => {
  afterEach(() => {
    process.exitCode = undefined;
  });

  it('exits with main’s own code, or 0', async () => {
    await run('script failed', async () => 3);
    expect(process.exitCode).toBe(3);
    await run('script failed', async () => {});
    expect(process.exitCode).toBe(0);
  });

  it('prints a usage error’s message alone', async () => {
    const { written, exitCode } = await failure(() => new UsageError('--repeat takes a positive integer'));
    expect(written).toBe('script failed: --repeat takes a positive integer\n');
    expect(exitCode).toBe(1);
  });

  it('prints a command line parseArgs refuses as a usage error, without a stack', async () => {
    const refused = () => parseArgs({ args: ['--node-options', '--cpu-prof'], options: { 'node-options': { type: 'string' } } });
    const { written, exitCode } = await failure(() => {
      try {
        refused();
      } catch (error) {
        return error;
      }
      throw new Error('parseArgs accepted an ambiguous value');
    });
    expect(written).toMatch(/^script failed: Option '--node-options' argument is ambiguous\./);
    expect(written).not.toMatch(/\n\s+at /);
    expect(exitCode).toBe(1);
  });

  it('prints anything else with its stack', async () => {
    const { written, exitCode } = await failure(() => new TypeError('undefined is not a function'));
    expect(written).toMatch(/^script failed: TypeError: undefined is not a function\n\s+at /);
    expect(exitCode).toBe(1);
  });
});
