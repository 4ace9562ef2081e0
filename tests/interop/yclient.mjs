// A real Yjs client (npm yjs + y-websocket WebsocketProvider) driven over stdin/stdout by the
// Python tests: one JSON request per line in, one JSON reply per line out (same "id").
// Usage: node yclient.mjs <serverUrl e.g. ws://127.0.0.1:8000/yjs> <document> [token]
import readline from 'node:readline'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const [serverUrl, docName, token] = process.argv.slice(2)
const ydoc = new Y.Doc()
const params = token ? { token } : {}
const provider = new WebsocketProvider(serverUrl, docName, ydoc, {
  WebSocketPolyfill: WebSocket,
  params,
  maxBackoffTime: 500
})
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')

let permissionDenied = null
provider.on('status', ({ status }) => out({ event: 'status', status }))
provider.on('sync', (synced) => { if (synced) out({ event: 'synced' }) })
provider.on('connection-close', (ev) => out({ event: 'close', code: ev ? ev.code : null }))
// y-websocket 3 reports permission-denied through the auth handler's console output only;
// watch the websocket frames to surface it to the test.
const origAuth = provider.messageHandlers[2]
provider.messageHandlers[2] = (encoder, decoder, prov, emitSynced, type) => {
  permissionDenied = 'permission-denied'
  out({ event: 'permission-denied' })
  const log = console.warn
  console.warn = () => {}
  try { origAuth(encoder, decoder, prov, emitSynced, type) } finally { console.warn = log }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const peers = () => {
  const result = {}
  provider.awareness.getStates().forEach((state, clientId) => {
    if (clientId !== ydoc.clientID) result[clientId] = state
  })
  return result
}
const waitFor = async (predicate, timeoutMs) => {
  const deadline = Date.now() + (timeoutMs ?? 10000)
  while (!predicate()) {
    if (Date.now() > deadline) return false
    await sleep(10)
  }
  return true
}

const handlers = {
  async type ({ root = 'content', text, delayMs = 2, at = 'random' }) {
    const ytext = ydoc.getText(root)
    for (const ch of text) { // by code point, so emoji stay whole
      const pos = at === 'end' ? ytext.length : Math.floor(Math.random() * (ytext.length + 1))
      // never split a surrogate pair already in the text
      const s = ytext.toString()
      const safe = pos > 0 && pos < s.length && /[\uDC00-\uDFFF]/.test(s[pos]) ? pos + 1 : pos
      ytext.insert(safe, ch)
      if (delayMs) await sleep(delayMs)
    }
    return { ok: true }
  },
  async text ({ root = 'content' }) { return { text: ydoc.getText(root).toString() } },
  async state () { return { state: Buffer.from(Y.encodeStateAsUpdate(ydoc)).toString('base64') } },
  async awareness ({ state }) { provider.awareness.setLocalState(state); return { ok: true, clientId: ydoc.clientID } },
  async peers () { return { peers: peers() } },
  async waitText ({ root = 'content', contains = [], length, timeoutMs }) {
    const ok = await waitFor(() => {
      const s = ydoc.getText(root).toString()
      return contains.every((c) => s.includes(c)) && (length === undefined || s.length === length)
    }, timeoutMs)
    return ok ? { ok: true, text: ydoc.getText(root).toString() } : { error: 'timeout', text: ydoc.getText(root).toString() }
  },
  async waitPeers ({ count, timeoutMs }) {
    const ok = await waitFor(() => Object.keys(peers()).length === count, timeoutMs)
    return ok ? { ok: true, peers: peers() } : { error: 'timeout', peers: peers() }
  },
  async waitSynced ({ timeoutMs }) {
    const ok = await waitFor(() => provider.synced, timeoutMs)
    return ok ? { ok: true } : { error: 'timeout' }
  },
  async status () { return { connected: provider.wsconnected, synced: provider.synced, permissionDenied } },
  async close () {
    provider.destroy()
    setTimeout(() => process.exit(0), 50)
    return { ok: true }
  }
}

const rl = readline.createInterface({ input: process.stdin })
rl.on('line', async (line) => {
  let request
  try { request = JSON.parse(line) } catch { out({ error: 'bad json' }); return }
  const handler = handlers[request.op]
  if (!handler) { out({ id: request.id, error: `unknown op ${request.op}` }); return }
  try {
    out({ id: request.id, ...(await handler(request)) })
  } catch (err) {
    out({ id: request.id, error: String(err && err.stack ? err.stack : err) })
  }
})
rl.on('close', () => { provider.destroy(); process.exit(0) })
