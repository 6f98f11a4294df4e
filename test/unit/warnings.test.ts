// The log throttle of the RADIUS front, on a fake clock and fake timers, with a real pino logger.
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WarnOnce } from '../../src/radius/warnings.js';

interface Line {
  msg: string;
  client: string;
  address?: string;
  suppressed?: number;
}

function capture(): { warnings: WarnOnce; lines: Line[] } {
  const lines: Line[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Line) });
  return { warnings: new WarnOnce(log, () => Date.now()), lines };
}

const BAD_MA = 'Message-Authenticator does not verify';

describe('WarnOnce', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('logs one line per client and kind, then how many more it held back when the 10 s are over', () => {
    const { warnings, lines } = capture();
    warnings.warn('bad-ma', 'nas1', { address: '192.0.2.1' }, BAD_MA);
    vi.advanceTimersByTime(1000);
    for (let i = 0; i < 3; i++) warnings.warn('bad-ma', 'nas1', { address: '192.0.2.1' }, BAD_MA);
    warnings.warn('bad-ma', 'nas2', { address: '192.0.2.2' }, BAD_MA);
    warnings.warn('missing-ma', 'nas1', { address: '192.0.2.1' }, 'no Message-Authenticator');
    expect(lines.map((l) => [l.client, l.msg])).toEqual([
      ['nas1', BAD_MA],
      ['nas2', BAD_MA],
      ['nas1', 'no Message-Authenticator'],
    ]);
    vi.advanceTimersByTime(8999);
    expect(lines).toHaveLength(3);
    vi.advanceTimersByTime(1);
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatchObject({ client: 'nas1', address: '192.0.2.1', suppressed: 3, msg: `3 more like this in the last 10 s: ${BAD_MA}` });
  });

  it('lets the summary open the next period, so a steady flood logs one line per 10 s; a quiet period ends silently', () => {
    const { warnings, lines } = capture();
    for (let second = 0; second < 30; second++) {
      warnings.warn('bad-ma', 'nas1', {}, BAD_MA);
      vi.advanceTimersByTime(1000);
    }
    // At 0 s the first in full; at 10, 20 and 30 s the ones held back since the line before.
    expect(lines.map((l) => l.suppressed)).toEqual([undefined, 9, 10, 10]);
    vi.advanceTimersByTime(60_000);
    expect(lines).toHaveLength(4);
    warnings.warn('bad-ma', 'nas1', {}, BAD_MA);
    expect(lines).toHaveLength(5);
    expect(lines[4]).toMatchObject({ msg: BAD_MA });
    expect(lines[4]?.suppressed).toBeUndefined();
  });

  it('flush() logs what is held back at once (at shutdown), with the time it covers', () => {
    const { warnings, lines } = capture();
    warnings.warn('refused-chap', 'nas1', {}, 'CHAP rejected');
    vi.advanceTimersByTime(3000);
    warnings.warn('refused-chap', 'nas1', {}, 'CHAP rejected');
    warnings.flush();
    expect(lines[1]).toMatchObject({ suppressed: 1, msg: '1 more like this in the last 3 s: CHAP rejected' });
    vi.advanceTimersByTime(20_000);
    expect(lines).toHaveLength(2);
  });
});
