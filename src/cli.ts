#!/usr/bin/env node
// The `heapdiff` command: parses arguments and hands each command to its module.
import { readFileSync } from 'node:fs';
import { analyzeCommand } from './commands/analyze.js';
import { demoCommand } from './commands/demo.js';
import { UsageError } from './commands/args.js';

const HELP = `heapdiff — find out why a process's memory keeps growing, from its heap snapshots

Usage:
  heapdiff analyze FILE [--top N] [--json]   totals, statistics, top classes and objects
  heapdiff demo                              analyse a snapshot of a bundled sample program
  heapdiff help [COMMAND]                    this text, or a command's
  heapdiff --version

Exit codes: 0 success, 1 the analysis failed, 2 bad usage or unreadable/malformed input.
Run 'heapdiff COMMAND --help' for a command's options.`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  analyze: analyzeCommand,
  demo: demoCommand,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    const sub = command === 'help' ? rest[0] : undefined;
    if (sub && COMMANDS[sub]) return COMMANDS[sub]!(['--help']);
    process.stdout.write(HELP + '\n');
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v') {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(pkg.version + '\n');
    return 0;
  }
  const run = COMMANDS[command];
  if (!run) throw new UsageError(`unknown command '${command}' (see 'heapdiff --help')`);
  return run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // One line, no stack: errors from the engine already say file, byte offset and what was expected.
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`heapdiff: ${message.split('\n')[0]}\n`);
    process.exitCode = err instanceof UsageError || isInputError(err) ? 2 : 1;
  },
);

function isInputError(err: unknown): boolean {
  return err instanceof Error && (/: at byte \d+: /.test(err.message) || /cannot open/.test(err.message));
}
