// Starts @hocuspocus/server (installed by bench/run into bench/.peers/node) on 127.0.0.1:PORT.
// Usage: node hocuspocus.mjs PORT [SQLITE_FILE]   — with a file, the official SQLite extension
// persists documents (its default debounce applies). With BENCH_REDIS=host:port, the official
// Redis extension joins the instances sharing that Redis (the several-nodes scenario). With
// BENCH_TOKENS=FILE (one token a line), an onAuthenticate hook admits only a connection whose
// token is one of them, looked up in a Set held in memory (the storm scenario).
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'

const peers = process.env.BENCH_PEERS_NODE
if (!peers) throw new Error('BENCH_PEERS_NODE must point at bench/.peers/node')
const require = createRequire(`${peers}/package.json`)
const load = async (name) => import(pathToFileURL(require.resolve(name)).href)

const port = Number(process.argv[2])
const sqliteFile = process.argv[3]
const { Server } = await load('@hocuspocus/server')
const extensions = []
if (sqliteFile) {
  const { SQLite } = await load('@hocuspocus/extension-sqlite')
  extensions.push(new SQLite({ database: sqliteFile }))
}
const redis = process.env.BENCH_REDIS
if (redis) {
  const [host, redisPort] = redis.split(':')
  const { Redis } = await load('@hocuspocus/extension-redis')
  extensions.push(new Redis({ host, port: Number(redisPort) }))
}
const hooks = {}
if (process.env.BENCH_TOKENS) {
  const tokens = new Set(
    readFileSync(process.env.BENCH_TOKENS, 'utf8').split('\n').map((t) => t.trim()).filter(Boolean)
  )
  hooks.onAuthenticate = async ({ token }) => {
    if (!tokens.has(token)) throw new Error('unknown token')
    return {}
  }
}
const server = new Server({ port, address: '127.0.0.1', quiet: true, extensions, ...hooks })
await server.listen()
process.stderr.write(`hocuspocus listening on 127.0.0.1:${port}\n`)
const stop = async () => { await server.destroy(); process.exit(0) }
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
