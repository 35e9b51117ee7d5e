#!/usr/bin/env node
import { pathToFileURL } from 'node:url';
import type { CliIo } from './cli/run.js';

const HELP = `medic: the Webex chat-ops bot for JVM stacks on AWS

  medic run "<command text>" --as <email> [--json|--card]   run one chat command in this process
  medic analyze threads <file>... [--json] [--top <top-H>]   analyze JVM thread dumps
  medic analyze heap <file.hprof[.gz]> [--json]              analyze a JVM heap dump
  medic audit [--since 24h] [--env E] [--json]               the audit trail (requests, decisions, jobs)
  medic alerts dead-letters [--limit n] [--json]             alert payloads refused with 400, and why
  medic ssm sync                                             install Medic's SSM documents in the AWS account
  medic demo [port]                                          local Webex space + bot + Redis (npm run demo)

Configuration comes from the environment (WEBEX_TOKEN, REDIS_URL, MEDIC_CONFIG, ...): see README.md.`;

/** Dispatches a subcommand; each lives in src/cli/ and is loaded only when used (the heap analyzer is heavy). */
export async function cli(argv: string[], io: CliIo): Promise<number> {
  const [cmd, sub, ...rest] = argv;
  switch (cmd) {
    case 'run':
      return (await import('./cli/run.js')).runCommand(argv.slice(1), io);
    case 'analyze':
      if (sub === 'threads') return (await import('./cli/analyze-threads.js')).runAnalyzeThreads(rest, io);
      if (sub === 'heap') return (await import('./cli/analyze-heap.js')).runAnalyzeHeap(rest, io);
      io.stderr(`medic analyze: say what to analyze: threads or heap\n`);
      return 1;
    case 'ssm':
      if (sub === 'sync') return (await import('./cli/ssm-sync.js')).runSsmSync(rest, io);
      io.stderr('medic ssm: the only subcommand is `sync`\n');
      return 1;
    case 'alerts':
      if (sub === 'dead-letters') return (await import('./cli/dead-letters.js')).runDeadLetters(rest, io);
      io.stderr('medic alerts: the only subcommand is `dead-letters`\n');
      return 1;
    case 'audit':
      return (await import('./cli/audit.js')).runAudit(argv.slice(1), io);
    case 'demo':
      return (await import('./cli/demo.js')).runDemo(argv.slice(1), io);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.stdout(`${HELP}\n`);
      return cmd === undefined ? 1 : 0;
    default:
      io.stderr(`medic: unknown command \`${cmd}\`\n\n${HELP}\n`);
      return 1;
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
