// Preloaded into the daemon by `npm run bench -- --cpu-prof DIR`: a V8 CPU profile of the
// timed part of each row only (saturation and paced run), not of the daemon's whole life.
// The bench sends SIGUSR2 with the row's key in DIR/next-row: the first signal starts the
// profiler, the second writes DIR/ROW.cpuprofile. Preparation (enrolment, opening tens of
// thousands of challenges for round 2) would otherwise fill most of the samples.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Session } from 'node:inspector';

const dir = process.env.SMS_OTP_BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  const post = (method, params) =>
    new Promise((resolve, reject) => session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))));
  let row;
  process.on('SIGUSR2', () => {
    if (row === undefined) {
      row = readFileSync(path.join(dir, 'next-row'), 'utf8').trim();
      void post('Profiler.enable')
        .then(() => post('Profiler.setSamplingInterval', { interval: 200 }))
        .then(() => post('Profiler.start'));
    } else {
      const name = row;
      row = undefined;
      void post('Profiler.stop').then(({ profile }) => {
        writeFileSync(path.join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(profile));
      });
    }
  });
}
