import { ConfigError } from '../src/config.ts';

/** A mistake in how a script was called: its message is the whole story, no stack trace. */
export class UsageError extends Error {}

/** Node's `parseArgs` refusing the command line (an unknown option, a value missing) is a usage error too. */
const isArgumentError = (error: unknown): error is Error =>
  error instanceof Error && String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_');

/**
 * Runs a script's `main` and sets the exit code: main's own (a number), 0, or 1 when it throws.
 * Configuration and usage errors print their message alone; anything else prints its stack.
 */
export async function run(failure: string, main: () => Promise<number | void>): Promise<void> {
  try {
    process.exitCode = (await main()) ?? 0;
  } catch (error) {
    const expected = error instanceof ConfigError || error instanceof UsageError || isArgumentError(error);
    const message = expected ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`${failure}: ${message}\n`);
    process.exitCode = 1;
  }
}
