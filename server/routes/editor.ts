/**
 * The editor: the built single-page app (editor/build) served on the same
 * port as the API. Files are served as they are; any other GET outside the
 * API falls back to index.html so the app's own routes (/rules, /leads/…)
 * load on a reload or a shared link.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { AppEnv } from '../context';

/** Paths that belong to the server, never to the editor: an unknown one there is a 404 problem, not the app. */
const SERVER_PREFIXES = ['/v1', '/openapi.json', '/docs', '/health'];

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** Build output under _app/immutable has content hashes in its names: cache it for good. Everything else is revalidated. */
const IMMUTABLE = '/_app/immutable/';

function belongsToServer(path: string): boolean {
  return SERVER_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

async function readIfFile(path: string): Promise<Buffer | null> {
  try {
    if (!(await stat(path)).isFile()) return null;
    return await readFile(path);
  } catch {
    return null;
  }
}

/** Mounts the editor's files and its index.html fallback; call after every API route. */
export function editorRoutes(app: OpenAPIHono<AppEnv>, buildDir: string): void {
  const root = resolve(buildDir);

  const send = (c: Context<AppEnv>, body: Buffer, file: string, cache: string) =>
    c.body(new Uint8Array(body), 200, {
      'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Cache-Control': cache,
      'X-Content-Type-Options': 'nosniff',
    });

  app.get('/*', async (c) => {
    const path = c.req.path;
    if (belongsToServer(path)) return c.notFound();

    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return c.notFound();
    }
    // Resolve inside the build directory only: "..", encoded or not, never leaves it.
    const file = resolve(join(root, decoded));
    if (file !== root && !file.startsWith(root + sep)) return c.notFound();

    if (extname(file) !== '') {
      const content = await readIfFile(file);
      if (content) return send(c, content, file, path.startsWith(IMMUTABLE) ? 'public, max-age=31536000, immutable' : 'no-cache');
      // A missing asset is a 404, not the app: a stale page must not get HTML for its script.
      if (extname(file) !== '.html') return c.notFound();
    }

    const index = await readIfFile(join(root, 'index.html'));
    if (!index) return c.notFound();
    return send(c, index, 'index.html', 'no-cache');
  });
}
