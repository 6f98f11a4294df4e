// The SMS gateway of the benchmark, run as its own process so that its CPU is neither the
// generator's nor the daemon's. The daemon's `http` gateway calls GET /?to=PHONE&text=OTP;
// each SMS is written to stdout as "PHONE OTP" before the 200 goes back, so the bench has
// the code by the time the daemon can answer with the Access-Challenge. (stdout is a pipe,
// and pipe writes are synchronous in Node on Linux.)
import http from 'node:http';

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://sink');
  process.stdout.write(`${url.searchParams.get('to')} ${url.searchParams.get('text')}\n`);
  res.end('OK');
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
