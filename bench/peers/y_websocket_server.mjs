// Starts @y/websocket-server (installed by bench/run into bench/.peers/node) on 127.0.0.1:PORT,
// the way its own bin does. Usage: node y_websocket_server.mjs PORT [LEVELDB_DIR] — with a
// directory, its y-leveldb persistence is enabled (the package reads YPERSISTENCE on import).
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import http from 'node:http'

const peers = process.env.BENCH_PEERS_NODE
if (!peers) throw new Error('BENCH_PEERS_NODE must point at bench/.peers/node')

const port = Number(process.argv[2])
if (process.argv[3]) process.env.YPERSISTENCE = process.argv[3]
// the ws its own server uses (its optional dependency), not the load generator's
const own = createRequire(`${peers}/node_modules/@y/websocket-server/package.json`)
const ws = await import(pathToFileURL(own.resolve('ws')).href)
const WebSocketServer = ws.WebSocketServer || ws.default.Server
const { setupWSConnection } = await import(
  pathToFileURL(`${peers}/node_modules/@y/websocket-server/src/utils.js`).href
)
const wss = new WebSocketServer({ noServer: true })
const server = http.createServer((_req, res) => { res.writeHead(200); res.end('ok') })
wss.on('connection', setupWSConnection)
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
})
server.listen(port, '127.0.0.1', () => process.stderr.write(`y-websocket-server on ${port}\n`))
const stop = () => { server.close(); process.exit(0) }
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
