#!/usr/bin/env node
// `npm run demo`: a tiny static file server for the repository, loopback only, no dependencies.
// The demo is at /web/ and loads the built bundle from /dist/. Tests import startServer().
//   node web/serve.mjs [--port 8080]      (or PORT=8080); the next free port is used if taken
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/**
 * Serves `root` (default: the repository) on 127.0.0.1. Resolves once listening.
 * `/` redirects to `/web/`; directories serve their index.html; dotfiles are never served.
 * @param {{ root?: string, port?: number, host?: string, log?: boolean }} [opts]
 * @returns {Promise<{ url: string, port: number, close(): Promise<void> }>}
 */
export function startServer({ root = REPO, port = 0, host = '127.0.0.1', log = false } = {}) {
  const base = resolve(root);
  const server = createServer((req, res) => {
    const send = (code, text, headers = {}) => {
      res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', ...headers });
      res.end(req.method === 'HEAD' ? undefined : text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n', { allow: 'GET, HEAD' });
    let path;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(400, 'bad request\n');
    }
    if (path === '/') return send(302, 'see /web/\n', { location: '/web/' });
    if (path.split('/').some((part) => part.startsWith('.')) || path.includes('\0')) return send(404, 'not found\n');
    let file = resolve(base, '.' + path);
    if (file !== base && !file.startsWith(base + sep)) return send(404, 'not found\n');
    let st;
    try {
      st = statSync(file);
      if (st.isDirectory()) {
        if (!path.endsWith('/')) return send(301, 'moved\n', { location: path + '/' });
        file = join(file, 'index.html');
        st = statSync(file);
      }
    } catch {
      if (log) console.log(`404 ${path}`);
      return send(404, 'not found\n');
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': st.size,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const actual = server.address().port;
      resolvePromise({
        port: actual,
        url: `http://${host}:${actual}`,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

async function main() {
  const i = process.argv.indexOf('--port');
  const wanted = Number(i > 0 ? process.argv[i + 1] : (process.env.PORT ?? 8080));
  if (!Number.isInteger(wanted) || wanted < 0 || wanted > 65535) throw new Error(`--port must be an integer in [0, 65535], received ${process.argv[i + 1] ?? process.env.PORT}`);
  for (let port = wanted; ; port++) {
    try {
      const s = await startServer({ port, log: true });
      console.log(`lstm-wasm demo: ${s.url}/web/   (serving ${REPO}; Ctrl+C to stop)`);
      return;
    } catch (e) {
      if (e.code !== 'EADDRINUSE' || port - wanted >= 20 || wanted === 0) throw e;
      console.log(`port ${port} is taken, trying ${port + 1}`);
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((e) => {
    console.error(`serve.mjs: ${e.message}`);
    process.exitCode = 1;
  });
}
