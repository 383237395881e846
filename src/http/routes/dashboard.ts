import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { packageRoot } from '../../package-root.js'

/**
 * The dashboard's built files (scripts/build-web.mjs writes them from web/), found from the package
 * root (`packageRoot`), under tsx and after tsc alike.
 */
export function webDir (): string {
  return join(packageRoot(), 'dist', 'web')
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8'
}

/** A flat file name with a known extension: nothing with a slash or a dot-dot gets near the disk. */
const ASSET = /^[a-z0-9][a-z0-9-]*\.(?:js|css|svg|js\.map|css\.map)$/

/**
 * Only this origin's files, no inline script or style attribute, no framing, no plugins. uPlot
 * styles its elements through the CSSOM, which `style-src 'self'` allows.
 */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

function secure (reply: FastifyReply): FastifyReply {
  // The files are not fingerprinted: revalidate each time (they are small, and served locally).
  return reply.header('content-security-policy', CSP).header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer').header('cache-control', 'no-cache')
}

async function readOrUndefined (path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

/**
 * The dashboard: `GET /` serves index.html, `GET /assets/<file>` the bundle beside it. Both are
 * left out of the OpenAPI document (`hide`): they are a page, not the API. Files are read on each
 * request (a few kB, from the page cache), so a rebuild is served without a restart. `dir` is
 * injected by tests.
 */
export function dashboardRoutes (dir = webDir()): FastifyPluginAsync {
  return async app => {
    app.get('/', { schema: { hide: true } }, async (_request, reply) => {
      const html = await readOrUndefined(join(dir, 'index.html'))
      if (html === undefined) {
        return reply.status(503).type('text/plain; charset=utf-8')
          .send(`The dashboard is not built (no ${join(dir, 'index.html')}): run \`npm run build:web\`. The API is at /docs.\n`)
      }
      return secure(reply).type('text/html; charset=utf-8').send(html)
    })

    app.get<{ Params: { file: string } }>('/assets/:file', { schema: { hide: true } }, async (request, reply) => {
      const file = request.params.file
      const body = ASSET.test(file) ? await readOrUndefined(join(dir, file)) : undefined
      if (body === undefined) {
        return reply.status(404).type('text/plain; charset=utf-8').send(`no dashboard asset ${JSON.stringify(file)}\n`)
      }
      const type = TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream'
      return secure(reply).type(type).send(body)
    })
  }
}
