/**
 * Starting and stopping a real anvil node (from the @foundry-rs/anvil npm package) on a free
 * loopback port for tests.
 */
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

export function anvilBinary(): string {
  const arch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch];
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}`;
  try {
    const dir = dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
    return join(dir, 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
  } catch {
    assert.fail(`anvil binary package ${pkg} is not installed (dev dependency @foundry-rs/anvil)`);
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  await new Promise((ok) => server.close(ok));
  return port;
}

export async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

export async function waitForNode(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) assert.fail(`anvil exited early with code ${child.exitCode}`);
    try {
      await rpc(url, 'eth_chainId');
      return;
    } catch (err) {
      if (Date.now() > deadline) assert.fail(`anvil did not answer eth_chainId within 10 s: ${String(err)}`);
      await new Promise((ok) => setTimeout(ok, 100));
    }
  }
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((ok) => child.once('exit', ok));
  process.kill(child.pid!, 'SIGTERM');
  const timer = setTimeout(() => child.exitCode === null && process.kill(child.pid!, 'SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}

/** Starts anvil on 127.0.0.1 and waits until it answers; call `stop` on the result in `finally`. */
export async function startAnvil(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    anvilBinary(),
    ['--host', '127.0.0.1', '--port', String(port), '--silent', '--hardfork', 'osaka'],
    { stdio: 'ignore' },
  );
  await new Promise<void>((ok, fail) => child.once('spawn', ok).once('error', fail));
  await waitForNode(url, child);
  return { url, child };
}
