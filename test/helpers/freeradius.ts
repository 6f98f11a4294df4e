// FreeRADIUS 3.2 as a NAS-side proxy in front of our daemon, from a self-contained config
// directory written here (as many sites run: the NAS talks to FreeRADIUS, which proxies
// the OTP realm to us).
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { freeUdpPort } from './daemon.js';
import { tempDir } from './fs.js';

export interface FreeRadiusProxy {
  readonly port: number;
  output(): string;
  stop(): Promise<void>;
}

export async function startFreeRadiusProxy(options: { homePort: number; homeSecret: string; nasSecret: string }): Promise<FreeRadiusProxy> {
  const dir = tempDir('smsotp-freeradius-');
  const port = await freeUdpPort();
  writeFileSync(path.join(dir, 'dictionary'), '');
  writeFileSync(
    path.join(dir, 'radiusd.conf'),
    `prefix = /usr
exec_prefix = /usr
sysconfdir = ${dir}
localstatedir = ${dir}
sbindir = /usr/sbin
logdir = ${dir}
raddbdir = ${dir}
radacctdir = ${dir}
name = freeradius
confdir = ${dir}
modconfdir = ${dir}
run_dir = ${dir}
db_dir = ${dir}
libdir = /usr/lib/freeradius
pidfile = ${dir}/radiusd.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 1024
hostname_lookups = no
log {
	destination = stdout
	auth = yes
}
security {
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = 0
	status_server = yes
}
proxy_requests = yes
proxy server {
	default_fallback = no
}
home_server otp {
	type = auth
	ipaddr = 127.0.0.1
	port = ${options.homePort}
	secret = ${options.homeSecret}
	response_window = 20
	status_check = none
}
home_server_pool otp_pool {
	type = fail-over
	home_server = otp
}
realm otp {
	auth_pool = otp_pool
	nostrip
}
client nas {
	ipaddr = 127.0.0.1
	secret = ${options.nasSecret}
}
modules {
}
instantiate {
}
server default {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = ${port}
	}
	authorize {
		update control {
			&Proxy-To-Realm := "otp"
		}
	}
	authenticate {
	}
	pre-proxy {
	}
	post-proxy {
	}
}
`,
  );
  let output = '';
  const child: ChildProcess = spawn('freeradius', ['-X', '-d', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`FreeRADIUS did not start:\n${output}`)), 15_000);
    const onData = (c: Buffer) => {
      output += c.toString();
      if (output.includes('Ready to process requests')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`FreeRADIUS exited with ${code}:\n${output}`));
    });
  });
  return {
    port,
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
