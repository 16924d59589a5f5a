import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETTINGS, settingsFromEnv } from '../shared/settings';

/**
 * docs/operations.md and docs/ops stay true to the code: the environment file names every setting of the
 * table with its default, what it sets parses, the unit runs what the page says, and every link resolves.
 * (test/prometheus.test.ts checks the rules and the dashboard against Prometheus itself.)
 */

const ROOT = path.resolve(__dirname, '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

describe('the operations docs', () => {
  const env = read('docs/ops/config.env');
  /** `KEY=VALUE` lines, set (`#` absent) or shown at their default (`# KEY=VALUE`). */
  const lines = [...env.matchAll(/^(#\s?)?([A-Z][A-Z0-9_]*)=(.*)$/gm)].map(([, comment, key, value]) => ({ commented: Boolean(comment), key: key!, value: value! }));

  it('docs/ops/config.env names every setting of shared/settings.ts once, a commented one at its default', () => {
    expect(lines.map((line) => line.key).sort()).toEqual(SETTINGS.map((s) => s.env).sort());
    for (const s of SETTINGS) {
      const line = lines.find((l) => l.key === s.env)!;
      if (!line.commented) continue;
      const fallback = typeof s.default === 'function' || s.default === undefined ? '' : String(s.default);
      // 2.0 and 2 are the same default.
      expect(line.value === fallback || Number(line.value) === Number(fallback), `${s.env}=${line.value} (default ${fallback})`).toBe(true);
    }
  });

  it('what docs/ops/config.env sets parses as AIL parses it', () => {
    const set = Object.fromEntries(lines.filter((l) => !l.commented).map((l) => [l.key, l.value]));
    expect(set).toMatchObject({ AIL_FAISS_ENABLED: 'true', FAISS_ROLLOUT: '0' });
    const settings = settingsFromEnv(set);
    expect(settings.semanticCacheRollout).toBe(0);
    expect(settings.semanticCacheEnabled).toBe(true);
  });

  it('the unit runs ail serve --http with the config file, reloads with SIGHUP and writes only the data and log dirs', () => {
    const unit = read('docs/ops/ail.service');
    expect(unit).toMatch(/^ExecStart=\S*ail serve --http 127\.0\.0\.1:8080 --repo \/srv\/repo --config \/etc\/ail\/config\.env$/m);
    expect(unit).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    for (const option of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'PrivateTmp=yes', 'ReadWritePaths=/var/lib/ail /var/log/ail', 'User=ail']) expect(unit).toContain(option);
    expect(env).toMatch(/^AIL_DATA_DIR=\/var\/lib\/ail$/m);
    expect(env).toMatch(/^AIL_LOG_FILE=\/var\/log\/ail\//m);
  });

  it('every relative link of docs/operations.md resolves, and the README links it', () => {
    const page = read('docs/operations.md');
    const links = [...page.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)].map((m) => m[1]!).filter((link) => !/^[a-z]+:/.test(link));
    expect(links.length).toBeGreaterThan(4);
    for (const link of links) expect(existsSync(path.join(ROOT, 'docs', link)), link).toBe(true);
    expect(read('README.md')).toContain('](docs/operations.md)');
  });
});
