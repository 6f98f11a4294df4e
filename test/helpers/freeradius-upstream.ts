// FreeRADIUS 3.2 as the old OTP server logins are forwarded to (passthru=radius:NAME), from a
// self-contained config directory written here. Its users, in unlang:
// - carol / carolpass: a plain PAP user, accepted with Class, Filter-Id and a vendor attribute;
// - dave: challenged first (a State and a Reply-Message), accepted on the answer 654321 with
//   the same State, rejected otherwise;
// - everyone else: rejected, with a Reply-Message.
// Every reply carries a Message-Authenticator, as after BlastRADIUS; Status-Server is answered.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { freeUdpPort } from './daemon.js';
import { tempDir } from './fs.js';
import { startProcess } from './process.js';

export interface FreeRadiusUpstream {
  readonly port: number;
  output(): string;
  /** How many Access-Requests it has received so far. */
  requests(): number;
  stop(): Promise<void>;
}

/** The State dave's challenge carries (hex of "old-otp-state"). */
export const DAVE_STATE = '0x6f6c642d6f74702d7374617465';

export async function startFreeRadiusUpstream(options: { secret: string; messageAuthenticator?: boolean }): Promise<FreeRadiusUpstream> {
  const dir = tempDir('smsotp-upstream-');
  const port = await freeUdpPort();
  const signed = options.messageAuthenticator === false ? '' : '\n\t\t\t&Message-Authenticator := 0x00';
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
client otp {
	ipaddr = 127.0.0.1
	secret = ${options.secret}
}
modules {
	always handled {
		rcode = handled
	}
	always reject {
		rcode = reject
	}
	always ok {
		rcode = ok
	}
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
		Autz-Type Status-Server {
			update reply {
				&Reply-Message := "up"${signed}
			}
			ok
		}
		if (&User-Name == "carol" && &User-Password == "carolpass") {
			update control {
				&Auth-Type := Accept
			}
			update reply {
				&Reply-Message := "Welcome from the old server"
				&Class := "old-vpn"
				&Filter-Id := "staff"
				&Cisco-AVPair := "shell:priv-lvl=15"${signed}
			}
		}
		elsif (&User-Name == "dave" && !&State) {
			update reply {
				&Reply-Message := "Old OTP:"
				&State := ${DAVE_STATE}${signed}
			}
			update control {
				&Response-Packet-Type := Access-Challenge
			}
			handled
		}
		elsif (&User-Name == "dave" && &State == ${DAVE_STATE} && &User-Password == "654321") {
			update control {
				&Auth-Type := Accept
			}
			update reply {
				&Class := "otp-ok"${signed}
			}
		}
		else {
			update reply {
				&Reply-Message := "old server says no"${signed}
			}
			reject
		}
	}
	authenticate {
	}
	post-auth {
		Post-Auth-Type REJECT {
			update reply {
				&Reply-Message := "old server says no"${signed}
			}
		}
	}
}
`,
  );
  const running = await startProcess('freeradius', ['-X', '-d', dir], 'Ready to process requests', { name: 'FreeRADIUS upstream' });
  return {
    port,
    output: running.output,
    requests: () => (running.output().match(/Received Access-Request/g) ?? []).length,
    stop: running.stop,
  };
}
