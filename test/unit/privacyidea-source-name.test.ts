// How `migrate privacyidea` names its source in the audit row (src/migrate/privacyidea/
// database.ts sourceDatabaseName): the SQLite file, or the server and database of a URL, and
// never the user name or password such a URL carries.
import { describe, expect, it } from 'vitest';
import { sourceDatabaseName } from '../../src/migrate/privacyidea/database.js';

describe('sourceDatabaseName', () => {
  it('names the file, or the server and database, without the credentials of the URL', () => {
    const cases: Array<[string, string]> = [
      ['sqlite:////var/lib/privacyidea/pi.sqlite', '/var/lib/privacyidea/pi.sqlite'],
      ['sqlite:///pi.sqlite', 'pi.sqlite'],
      ['postgresql://pi:S3cr%40t@db.example.com:5432/pi', 'postgresql database pi on db.example.com:5432'],
      ['postgresql+psycopg2://pi:S3cr3t@db/pi?sslmode=require', 'postgresql database pi on db'],
      ['mysql+pymysql://pi:S3cr3t@127.0.0.1/pi?charset=utf8', 'mysql database pi on 127.0.0.1'],
      ['postgresql:///pi', 'postgresql database pi on localhost'],
      ['not a url S3cr3t', 'a database'],
    ];
    for (const [url, name] of cases) {
      expect([url, sourceDatabaseName(url)]).toEqual([url, name]);
      expect(sourceDatabaseName(url)).not.toMatch(/S3cr/);
    }
  });
});
