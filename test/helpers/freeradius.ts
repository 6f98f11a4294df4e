// FreeRADIUS 3.2 as a NAS-side proxy in front of our daemon, from a self-contained config
// directory written here (as many sites run: the NAS talks to FreeRADIUS, which proxies
// the OTP realm to us).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { freeUdpPort } from './daemon.js';
import { tempDir } from './fs.js';
import { startProcess } from './process.js';

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
  const running = await startProcess('freeradius', ['-X', '-d', dir], 'Ready to process requests', { name: 'FreeRADIUS' });
  return { port, output: running.output, stop: running.stop };
}
