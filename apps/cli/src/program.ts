// The `pypi-watch` command line: every command, flag and its validation.

import { Command, InvalidArgumentError, Option } from 'commander';
import { isQueueName, QUEUE_NAMES, type QueueName } from '@pypi-watch/core/queue-names';
import { terminalText } from '@pypi-watch/core/terminal-text';

// Commands load their modules on use: `status` need not load the dashboard's web stack, and
// `--help` or a usage error answers without loading BullMQ at all.
function lazy<M, K extends keyof M>(load: () => Promise<M>, name: K): M[K] {
  const run = async (...args: unknown[]): Promise<unknown> => ((await load())[name] as (...a: unknown[]) => unknown)(...args);
  return run as M[K];
}
const startCommand = lazy(() => import('./commands/start.js'), 'startCommand');
const schedulerCommand = lazy(() => import('./commands/scheduler.js'), 'schedulerCommand');
const workerCommand = lazy(() => import('./commands/worker.js'), 'workerCommand');
const dashboardCommand = lazy(() => import('./commands/dashboard.js'), 'dashboardCommand');
const pollCommand = lazy(() => import('./commands/poll.js'), 'pollCommand');
const enqueueCommand = lazy(() => import('./commands/enqueue.js'), 'enqueueCommand');
const statusCommand = lazy(() => import('./commands/status.js'), 'statusCommand');
const whyCommand = lazy(() => import('./commands/why.js'), 'whyCommand');
const reportCommand = lazy(() => import('./commands/report.js'), 'reportCommand');
const cleanupCommand = lazy(() => import('./commands/cleanup.js'), 'cleanupCommand');
const notifyTestCommand = lazy(() => import('./commands/notify.js'), 'notifyTestCommand');

function parseQueues(value: string): QueueName[] {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !isQueueName(name));
  if (names.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`expected a comma-separated list of ${QUEUE_NAMES.join(', ')}; got ${JSON.stringify(value)}`);
  }
  return [...new Set(names)] as QueueName[];
}

function parsePositiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 10_000) {
    throw new InvalidArgumentError(`expected an integer from 1 to 10000; got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

function parseSerial(value: string): number {
  if (!/^\d{1,15}$/.test(value))
    throw new InvalidArgumentError(`expected a changelog serial (a non-negative integer); got ${JSON.stringify(value)}`);
  return Number(value);
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

const configOption = (): Option => new Option('-c, --config <file>', 'config file (else $PYPI_WATCH_CONFIG, else ./pypi-watch.yaml)');

/** Builds the program; `setExitCode` receives a command's own exit code (e.g. 1 when enqueue skipped entries). */
export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('pypi-watch')
    .description('Watch PyPI for new releases and submit one RPM build per release to the Compass-CI farm.')
    .showHelpAfterError('(run `pypi-watch --help` for usage)')
    .showSuggestionAfterError(true)
    // commander quotes the offending argument in its errors: escaped, like every message we print.
    // Set before the subcommands are added, which copy it.
    .configureOutput({ outputError: (text, write) => write(terminalText(text, { multiline: true })) })
    .exitOverride();

  program
    .command('start')
    .description('run everything in one process: embedded Redis if needed, scheduler, workers, dashboard')
    .addOption(configOption())
    .action(startCommand);

  program
    .command('scheduler')
    .description('register the repeatable poll and cleanup jobs, and keep them registered')
    .addOption(configOption())
    .action(schedulerCommand);

  program
    .command('worker')
    .description('process jobs; run any number of `worker --queues submit` on any hosts')
    .addOption(configOption())
    .option('-q, --queues <list>', `queues to serve, comma-separated (${QUEUE_NAMES.join(',')})`, parseQueues, [...QUEUE_NAMES])
    .option('--concurrency <n>', 'submit jobs run at once by this process (overrides submit.concurrency)', parsePositiveInt)
    .action(workerCommand);

  program.command('dashboard').description('serve the dashboard, /healthz and /metrics').addOption(configOption()).action(dashboardCommand);

  program
    .command('poll')
    .description('poll PyPI once now and queue what is new; print the result')
    .addOption(configOption())
    .option('--since <serial>', 'backfill from this changelog serial instead of the stored cursor', parseSerial)
    .option('--json', 'print JSON')
    .action(pollCommand);

  program
    .command('enqueue')
    .description('queue submits now for NAME or NAME==VERSION, and/or for every package in list files')
    .argument('[packages...]', 'NAME or NAME==VERSION')
    .addOption(configOption())
    .option('-l, --list <file>', 'a file with one package a line, first word the name (repeatable)', collect)
    .action(async (packages: string[], options: { config?: string; list?: string[] }) => {
      setExitCode(await enqueueCommand(packages, options));
    });

  program
    .command('status')
    .description('lag, last poll, submit rate, backlog, recent failures, gate and schedules (--json: all of it)')
    .addOption(configOption())
    .option('--json', 'print JSON')
    .action(statusCommand);

  program
    .command('why')
    .description('what pypi-watch decided about a release, and why (invalid, filtered, duplicate, queued, submitted, result)')
    .argument('<package>', 'NAME or NAME==VERSION')
    .addOption(configOption())
    .option('--json', 'print JSON')
    .action(whyCommand);

  program
    .command('report')
    .description('build outcomes: counts per result and failure kind, success rate, slowest builds, failing packages')
    .addOption(configOption())
    .option('--since <duration>', 'how far back, e.g. 7d, 12h', '7d')
    .option('--json', 'print JSON')
    .action(reportCommand);

  program
    .command('cleanup')
    .description('prune old batch log folders, update lists and expired dedupe entries now')
    .addOption(configOption())
    .option('--dry-run', 'list what would be removed, remove nothing')
    .action(async (options: { config?: string; dryRun?: boolean }) => {
      setExitCode(await cleanupCommand(options));
    });

  program
    .command('notify')
    .description('notifications (notify.webhooks)')
    .command('test')
    .description('send a sample message to each configured webhook and report what each answered (exit 1 if any failed)')
    .addOption(configOption())
    .option('--webhook <n>', 'only this webhook: its index in notify.webhooks (from 0) or its name')
    .option('--json', 'print JSON')
    .action(async (options: { config?: string; webhook?: string; json?: boolean }) => {
      setExitCode(await notifyTestCommand(options));
    });

  return program;
}
