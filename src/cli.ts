#!/usr/bin/env node
// The `heapdiff` command: parses arguments and hands each command to its module.
import { readFileSync } from 'node:fs';
import { UsageError } from './commands/args.js';

const HELP = `heapdiff — find out why a process's memory keeps growing, from its heap snapshots

Usage:
  heapdiff analyze FILE [--top N] [--json]   totals, statistics, top classes and objects
  heapdiff diff BASE CURRENT [options]       what CURRENT holds that BASE did not, by class
                                             or allocation site; CI gates on growth
  heapdiff leaks S1 S2 [S3 ...] [options]    leak suspects across snapshots of one process:
                                             container, path, growth, what and where
  heapdiff run [options] -- node app.js …    start a program (Node or Python), snapshot it every
                                             --interval or at each step it asks for, stop it,
                                             and report its leaks
  heapdiff attach PID [options]              snapshot a running Node process (opens its inspector
                                             with SIGUSR1) and report its leaks
  heapdiff demo                              find the leak in a bundled sample service
  heapdiff help [COMMAND]                    this text, or a command's
  heapdiff --version

Exit codes: 0 success, 1 the analysis failed, 2 bad usage or unreadable/malformed input,
3 a CI gate failed (diff), 130 stopped with Ctrl-C (run, attach).
Run 'heapdiff COMMAND --help' for a command's options.`;

type Command = (argv: string[]) => Promise<number>;

// Each command's modules (and the native binding) load only when it runs: a quicker start.
const COMMANDS: Record<string, () => Promise<Command>> = {
  analyze: async () => (await import('./commands/analyze.js')).analyzeCommand,
  demo: async () => (await import('./commands/demo.js')).demoCommand,
  diff: async () => (await import('./commands/diff.js')).diffCommand,
  leaks: async () => (await import('./commands/leaks.js')).leaksCommand,
  run: async () => (await import('./commands/run.js')).runCommand,
  attach: async () => (await import('./commands/attach.js')).attachCommand,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    const sub = command === 'help' ? rest[0] : undefined;
    if (sub && COMMANDS[sub]) return (await COMMANDS[sub]!())(['--help']);
    process.stdout.write(HELP + '\n');
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v') {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(pkg.version + '\n');
    return 0;
  }
  const load = COMMANDS[command];
  if (!load) throw new UsageError(`unknown command '${command}' (see 'heapdiff --help')`);
  return (await load())(rest);
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
