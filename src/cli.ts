#!/usr/bin/env node
/** fsrecd's command line: run, check-config, render, demo, status, sync, recordings, token, passwd. */
import { Command, Option } from 'commander';
import { registerCommands } from './cli/commands';

const program = new Command()
  .name('fsrecd')
  .description('Call-recording daemon for FreeSWITCH: follows calls over the event socket, records by rule, stores to S3 or a directory.')
  .version('0.1.0')
  .addOption(new Option('-c, --config <path>', 'main YAML file (conf.d/*.yml beside it are merged)').default('/etc/fsrecd/fsrecd.yml').env('FSRECD_CONFIG'));

registerCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`fsrecd: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
});
