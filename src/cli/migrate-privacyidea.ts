// `migrate privacyidea`: the whole move from privacyIDEA in one command (src/app/privacyidea-migration.ts).
import type { Command } from 'commander';
import type { PrivacyIdeaMigrationReport } from '../app/privacyidea-migration.js';
import { cliActor, type WithAdmin } from './context.js';
import { json, UsageError, type Io } from './output.js';

export function migratePrivacyIdeaCommand(migrate: Command, io: Io, withAdmin: WithAdmin): void {
  migrate
    .command('privacyidea')
    .description("carry a privacyIDEA 3.x site over: its SMS tokens (keys, counters, PINs, state), gateways, SMTP servers and settings")
    .requiredOption('--db <url>', "privacyIDEA's database, as SQLALCHEMY_DATABASE_URI in pi.cfg (sqlite:////path, postgresql://…, mysql+pymysql://…)")
    .requiredOption('--encfile <file>', "privacyIDEA's encryption key file (PI_ENCFILE)")
    .option('--pepper-file <file>', "privacyIDEA's pi.cfg (PI_PEPPER); token PINs of privacyIDEA 3.x are hashed without it")
    .option('--realm-map <theirs=ours>', 'their realm to ours (ours may be empty: login names without a realm); repeatable', collect)
    .option('--resolver-dir <dir>', "where privacyIDEA's relative passwd resolver files are (default: the key file's directory)")
    .option('--dry-run', 'print the whole plan and change nothing')
    .option('--json', 'print the report as JSON')
    .action(async (opts, cmd: Command) => {
      const realmMap: Record<string, string> = {};
      for (const entry of (opts.realmMap ?? []) as string[]) {
        const at = entry.indexOf('=');
        if (at <= 0) throw new UsageError(`--realm-map ${entry}: write THEIRS=OURS (e.g. --realm-map corp=example, or local= for names without a realm)`);
        realmMap[entry.slice(0, at)] = entry.slice(at + 1);
      }
      const report = await withAdmin(cmd, (admin) =>
        admin.privacyIdeaMigration.run({
          db: opts.db,
          encfile: opts.encfile,
          pepperFile: opts.pepperFile,
          realmMap,
          resolverDir: opts.resolverDir,
          dryRun: Boolean(opts.dryRun),
        }, cliActor()),
      );
      io.out(opts.json ? json(report) : describe(report));
    });
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function describe(r: PrivacyIdeaMigrationReport): string {
  const lines = [r.dryRun ? 'dry run: nothing was changed; this is what an import would do:' : 'imported:'];
  for (const a of r.actions) lines.push(`  ${a.action} ${a.kind} ${a.name}: ${a.detail}`);
  lines.push(r.notCarried.length ? 'not carried over:' : 'everything was carried over.');
  for (const n of r.notCarried) lines.push(`  ${n.what}: ${n.why}`);
  lines.push(`tokens: ${r.tokens.created} new, ${r.tokens.updated} updated, ${r.tokens.unchanged} unchanged (${(r.milliseconds / 1000).toFixed(1)} s)`);
  return lines.join('\n');
}
