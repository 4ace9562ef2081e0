// Sends one oversize binary frame per connection, `rounds` connections in a row, with the
// stock `ws` client, and prints the close code each connection read (1006: none was read).
// Usage: node oversize.mjs <url e.g. ws://127.0.0.1:8000/yjs/doc> <bytes> <rounds>
import WebSocket from 'ws'

const [url, bytes, rounds] = process.argv.slice(2)
const payload = Buffer.alloc(Number(bytes), 1)

const once = () => new Promise((resolve) => {
  const ws = new WebSocket(url)
  const timer = setTimeout(() => { ws.terminate(); resolve(-1) }, 30000)
  ws.on('open', () => ws.send(payload))
  ws.on('error', () => {}) // a reset shows up as close code 1006 below
  ws.on('close', (code) => { clearTimeout(timer); resolve(code) })
})

const codes = []
for (let i = 0; i < Number(rounds); i++) codes.push(await once())
process.stdout.write(JSON.stringify({ codes }) + '\n')
