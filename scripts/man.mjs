#!/usr/bin/env node
// `npm run man`: writes man/sms-otp-radiusd.8 from the CLI's own command tree (the commander
// program of src/cli/main.ts, compiled in dist/), through commander's Help, the very functions
// that print `--help`: so the man page says what --help says. `--stdout` prints it instead
// (test/unit/man-page.test.ts compares that with the committed file, so it cannot go stale).
//
// No maintained package turns a commander tree into roff; the page is small and plain (-man
// macros: TH, SH, SS, TP, PP, B, I), so it is written here.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const { buildProgram } = await import(new URL('../dist/cli/main.js', import.meta.url).href);
const program = buildProgram({ out: () => {}, err: () => {} });
const help = program.createHelp();
const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

/** Text for roff: backslashes and hyphens escaped, no line that starts like a request. */
function esc(text) {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/[^\x00-\x7f]/gu, (c) => `\\[u${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}]`)
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');
}

const out = [];
const line = (s) => out.push(s);

function options(cmd) {
  for (const option of help.visibleOptions(cmd)) {
    if (option.long === '--help' && cmd !== program) continue; // every command has it; said once, under OPTIONS
    line('.TP');
    line(`.B ${esc(help.optionTerm(option))}`);
    line(esc(help.optionDescription(option)));
  }
}

/** Every command that runs something, depth first, as `sms-otp-radiusd token enroll`. */
function commands(cmd, prefix) {
  const list = [];
  for (const sub of help.visibleCommands(cmd)) {
    if (sub.name() === 'help') continue;
    const name = `${prefix} ${sub.name()}`;
    if (sub.commands.length) list.push(...commands(sub, name));
    else list.push([name, sub]);
  }
  return list;
}

line(`.TH SMS\\-OTP\\-RADIUSD 8 "" "sms\\-otp\\-radiusd ${esc(version)}" "System Administration"`);
line('.SH NAME');
line(`sms\\-otp\\-radiusd \\- ${esc(program.description())}`);
line('.SH SYNOPSIS');
line('.B sms\\-otp\\-radiusd');
line('[\\fB\\-\\-config\\fR \\fIPATH\\fR] \\fICOMMAND\\fR [\\fISUBCOMMAND\\fR] [\\fIOPTIONS\\fR]');
line('.SH DESCRIPTION');
line(esc('A RADIUS server that gives VPN concentrators, Wi-Fi controllers and firewalls two-factor login with an SMS one-time password: the NAS sends the PIN, gets an Access-Challenge while the OTP goes out by SMS, and sends the OTP back with the State. It also speaks privacyIDEA\'s /validate HTTP API. It succeeds privacyIDEA\'s SMS token and keeps its behaviour, messages and setting names.'));
line('.PP');
line(esc('serve runs the daemon; every other command works on the same store as the daemon, while it runs: the store, the key file and the network addresses come from the configuration file, everything else (tokens, gateways, settings) lives in the store and reaches every running daemon within a second.'));
line('.SH OPTIONS');
options(program);
line('.SH COMMANDS');
for (const [, cmd] of commands(program, 'sms-otp-radiusd')) {
  line(`.SS "${esc(help.commandUsage(cmd))}"`);
  line(esc(help.commandDescription(cmd)));
  for (const argument of help.visibleArguments(cmd)) {
    line('.TP');
    line(`.I ${esc(help.argumentTerm(argument))}`);
    line(esc(help.argumentDescription(argument)));
  }
  options(cmd);
}
line('.SH EXIT STATUS');
line('.TP\n.B 0\nsuccess');
line('.TP\n.B 1\nan operation failed or was refused; the reason is one line on standard error');
line('.TP\n.B 2\na mistake in the command line, or a bad value');
line('.SH FILES');
line('.TP\n.I /etc/sms\\-otp\\-radiusd/sms\\-otp\\-radiusd.yaml');
line(esc('the configuration of an installed daemon: addresses, RADIUS clients and their secrets, the store, the key file, logging.'));
line('.TP\n.I /var/lib/sms\\-otp\\-radiusd/');
line(esc('the state of an installed daemon: the SQLite store and the key file (encryption.key), which seals token keys and gateway secrets. Back the key file up apart from the store.'));
line('.SH ENVIRONMENT');
line('.TP\n.B SMS_OTP_RADIUSD_CONFIG');
line(esc('the configuration file, when --config is not given.'));
line('.PP');
line(esc('Secrets named in the configuration with secret_env or url_env are read from the environment variables named there.'));
line('.SH SEE ALSO');
line('.BR radclient (1),');
line('.BR radiusd (8),');
line('.BR systemctl (1),');
line('.BR journalctl (1).');
line('.PP');
line(esc('The manual: README.md and docs/ of the source (docs/cli.md, docs/configure.md, docs/nas.md, docs/operations.md).'));

const page = `${out.join('\n')}\n`;
if (process.argv.includes('--stdout')) {
  process.stdout.write(page);
} else {
  mkdirSync(new URL('../man/', import.meta.url), { recursive: true });
  writeFileSync(new URL('../man/sms-otp-radiusd.8', import.meta.url), page);
}
