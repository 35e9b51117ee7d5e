#!/usr/bin/env node
import { pathToFileURL } from 'node:url';
import { USAGE_EXIT, type CliIo } from './cli/args.js';

const HELP = `usage: medic <command> [options]     (medic <command> --help for its options)

  medic run "<command text>" --as <email> [--json|--card]   run one chat command in this process
  medic analyze threads <file>... [--json] [--top <top-H>]   analyze JVM thread dumps
  medic analyze heap <file.hprof[.gz]> [--json]              analyze a JVM heap dump
  medic audit [--since 24h] [--env E] [--json]               the audit trail (requests, decisions, jobs)
  medic alerts dead-letters [--limit n] [--json]             alert payloads refused with 400, and why
  medic ssm sync [--prefix P] [--dir D]                      install Medic's SSM documents in the AWS account
  medic demo [--port 8080]                                   local Webex space + bot + Redis (npm run demo)

Exit code: 0 ok, 1 user error (bad arguments, bad command, not allowed), 2 internal error.
Configuration comes from the environment (WEBEX_TOKEN, REDIS_URL, MEDIC_CONFIG, ...): see README.md.`;

const GROUPS = {
  analyze: { threads: 'analyze JVM thread dumps (jstack, jcmd Thread.print)', heap: 'analyze a JVM heap dump (HPROF, plain or gzip)' },
  ssm: { sync: "install Medic's SSM documents in the AWS account" },
  alerts: { 'dead-letters': 'alert payloads refused with 400, and why' },
} as const;

const isHelp = (a: string | undefined): boolean => a === '--help' || a === '-h';

/** `medic analyze` and the like: the subcommands, on stdout for --help, with the mistake on stderr otherwise. */
function groupUsage(io: CliIo, group: keyof typeof GROUPS, given: string | undefined): number {
  const subs = Object.entries(GROUPS[group]).map(([name, what]) => `  medic ${group} ${name.padEnd(13)} ${what}`);
  const text = `usage: medic ${group} <${Object.keys(GROUPS[group]).join('|')}> [options]\n\n${subs.join('\n')}\n`;
  if (isHelp(given)) {
    io.stdout(text);
    return 0;
  }
  io.stderr(`medic ${group}: ${given === undefined ? 'say which one:' : `unknown subcommand \`${given}\`; the subcommands are`} ${Object.keys(GROUPS[group]).join(', ')}\n\n${text}`);
  return USAGE_EXIT;
}

/** Dispatches a subcommand; each lives in src/cli/ and is loaded only when used (the heap analyzer is heavy). */
export async function cli(argv: string[], io: CliIo): Promise<number> {
  const [cmd, sub, ...rest] = argv;
  switch (cmd) {
    case 'run':
      return (await import('./cli/run.js')).runCommand(argv.slice(1), io);
    case 'analyze':
      if (sub === 'threads') return (await import('./cli/analyze-threads.js')).runAnalyzeThreads(rest, io);
      if (sub === 'heap') return (await import('./cli/analyze-heap.js')).runAnalyzeHeap(rest, io);
      return groupUsage(io, 'analyze', sub);
    case 'ssm':
      if (sub === 'sync') return (await import('./cli/ssm-sync.js')).runSsmSync(rest, io);
      return groupUsage(io, 'ssm', sub);
    case 'alerts':
      if (sub === 'dead-letters') return (await import('./cli/dead-letters.js')).runDeadLetters(rest, io);
      return groupUsage(io, 'alerts', sub);
    case 'audit':
      return (await import('./cli/audit.js')).runAudit(argv.slice(1), io);
    case 'demo':
      return (await import('./cli/demo.js')).runDemo(argv.slice(1), io);
    case 'help':
    case '--help':
    case '-h':
      if (cmd === 'help' && sub !== undefined) return cli([sub, '--help'], io);
      io.stdout(`${HELP}\n`);
      return 0;
    case undefined:
      io.stderr(`medic: say which command to run\n\n${HELP}\n`);
      return USAGE_EXIT;
    default:
      io.stderr(`medic: ${cmd.startsWith('-') ? `unknown option ${cmd}` : `unknown command \`${cmd}\``}\n\n${HELP}\n`);
      return USAGE_EXIT;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const io: CliIo = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };
  cli(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`medic: ${(err as Error).message}\n`);
      process.exitCode = 2;
    },
  );
}
