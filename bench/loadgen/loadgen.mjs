// Veche benchmark load generator: one Node process drives every client of a scenario over raw
// `ws` sockets, speaking the y-websocket protocol (Veche, @y/websocket-server, pycrdt-websocket)
// or Hocuspocus' variant of it (every message prefixed with the document name, auth first).
//
//   node loadgen.mjs <scenario> --base ws://127.0.0.1:PORT[/yjs] --proto yws|hocuspocus [options]
//
// Scenarios: fanout, saturation, connections, coldprep, coldopen, saved.
// Prints exactly one JSON object on stdout (the result); diagnostics go to stderr.
// Every loop is bounded in count and in time; only loopback addresses are accepted.

import { performance } from 'node:perf_hooks'
import { readFileSync } from 'node:fs'
import WebSocket from 'ws'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'

// ---------------------------------------------------------------------------------------------
// options

const args = process.argv.slice(2)
const scenario = args[0]
const opts = {}
for (let i = 1; i < args.length; i += 2) {
  if (!args[i].startsWith('--')) throw new Error(`bad option ${args[i]}`)
  opts[args[i].slice(2)] = args[i + 1]
}
const num = (name, dflt) => (opts[name] === undefined ? dflt : Number(opts[name]))
const BASE = opts.base
const PROTO = opts.proto || 'yws'
// Several nodes of one deployment (fanout only): the writer on the first, observers spread
// over all of them in turn.
const BASES = (opts.bases || BASE || '').split(',').filter(Boolean)
for (const b of [BASE, ...BASES]) {
  if (!b || !/^ws:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d+/.test(b)) {
    throw new Error('--base and --bases must be ws:// loopback URLs')
  }
}
const DOC = opts.doc || `bench-${scenario}-${process.pid}-${Date.now()}`
const log = (...a) => process.stderr.write(a.join(' ') + '\n')
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// ---------------------------------------------------------------------------------------------
// wire format

const MSG_SYNC = 0
const MSG_AUTH = 2
const MSG_SAVED = 100 // Veche extension, see docs/protocol.md
const SYNC_STEP1 = 0
const SYNC_STEP2 = 1
const SYNC_UPDATE = 2

// Hocuspocus prefixes every message with the document name (lib0 varString) in both directions.
const prefix = PROTO === 'hocuspocus' ? encodePrefix(DOC) : new Uint8Array(0)
function encodePrefix (name) {
  const e = encoding.createEncoder()
  encoding.writeVarString(e, name)
  return encoding.toUint8Array(e)
}

function frame (write) {
  const e = encoding.createEncoder()
  if (prefix.length) encoding.writeUint8Array(e, prefix)
  write(e)
  return encoding.toUint8Array(e)
}

const step1Empty = frame((e) => {
  encoding.writeVarUint(e, MSG_SYNC)
  encoding.writeVarUint(e, SYNC_STEP1)
  encoding.writeVarUint8Array(e, Y.encodeStateVector(new Y.Doc()))
})
// Hocuspocus 4.x: the first message for a document must be Auth / Token: varString document,
// varUint 2 (Auth), varUint 0 (Token), varString token, varString provider version (optional).
// The server answers Auth / Authenticated (2) with the scope, then processes queued messages.
const authMsg = frame((e) => {
  encoding.writeVarUint(e, MSG_AUTH)
  encoding.writeVarUint(e, 0)
  encoding.writeVarString(e, '')
})
const updateFrame = (update) => frame((e) => {
  encoding.writeVarUint(e, MSG_SYNC)
  encoding.writeVarUint(e, SYNC_UPDATE)
  encoding.writeVarUint8Array(e, update)
})

function urlFor (base = BASE) {
  return PROTO === 'hocuspocus' ? base : `${base.replace(/\/$/, '')}/${encodeURIComponent(DOC)}`
}

// Parses a received frame: returns {type, sub, payload} (payload: the Yjs update for sync 1/2).
function parse (data) {
  const d = decoding.createDecoder(data)
  if (prefix.length) decoding.readVarString(d)
  const type = decoding.readVarUint(d)
  if (type === MSG_SYNC || type === 4 /* Hocuspocus SyncReply */) {
    const sub = decoding.readVarUint(d)
    return { type: MSG_SYNC, sub, payload: decoding.readVarUint8Array(d) }
  }
  if (type === MSG_SAVED) {
    return { type, acknowledged: decoding.readVarUint(d), seq: decoding.readVarUint(d) }
  }
  return { type }
}

// A client: a raw socket that syncs (sends step 1 with an empty state vector, waits for step 2)
// and hands every later sync message to onSync(parsed, raw bytes).
class Client {
  constructor ({ onSync = null, onSaved = null, keepDoc = false, base = BASE } = {}) {
    this.base = base
    this.onSync = onSync
    this.onSaved = onSaved
    this.doc = keepDoc ? new Y.Doc() : null
    this.synced = false
    this.closed = false
    this.syncedAt = 0
  }

  open (timeoutMs = 60000) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(urlFor(this.base), { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 })
      this.ws = ws
      ws.binaryType = 'nodebuffer'
      const timer = setTimeout(() => { reject(new Error('sync timeout')); ws.terminate() }, timeoutMs)
      ws.on('open', () => {
        if (PROTO === 'hocuspocus') ws.send(authMsg)
        ws.send(step1Empty)
      })
      ws.on('message', (data) => {
        let m
        try { m = parse(data) } catch (err) { log('undecodable frame', err.message); return }
        if (m.type === MSG_SYNC) {
          if (m.sub === SYNC_STEP2 && !this.synced) {
            if (this.doc) Y.applyUpdate(this.doc, m.payload)
            this.synced = true
            this.syncedAt = performance.now()
            clearTimeout(timer)
            resolve(this)
            return
          }
          if (m.sub === SYNC_STEP1) return // we hold nothing the server lacks
          if (this.doc) Y.applyUpdate(this.doc, m.payload)
          if (this.onSync) this.onSync(m, data)
        } else if (m.type === MSG_SAVED && this.onSaved) {
          this.onSaved(m)
        }
      })
      ws.on('error', (err) => { clearTimeout(timer); if (!this.synced) reject(err) })
      ws.on('close', () => { this.closed = true; clearTimeout(timer); if (!this.synced) reject(new Error('closed before sync')) })
    })
  }

  send (bytes) { this.ws.send(bytes) }
  close () { try { this.ws.close() } catch {} }
  terminate () { try { this.ws.terminate() } catch {} }
}

// Opens `count` clients with at most `parallel` handshakes in flight (the listen backlog is
// finite); returns them in order. Bounded by `timeoutMs` overall.
async function openMany (count, make, parallel = 100, timeoutMs = 120000) {
  const clients = new Array(count)
  let next = 0
  const deadline = performance.now() + timeoutMs
  async function worker () {
    while (next < count) {
      const i = next++
      if (performance.now() > deadline) throw new Error(`connecting: timeout after ${i} clients`)
      clients[i] = await make(i).open(Math.max(1000, deadline - performance.now()))
    }
  }
  // The first client alone: it creates the document (pycrdt-websocket 0.16 fails connections
  // that race to create a room), then the rest in parallel.
  if (count > 0) { clients[0] = await make(0).open(timeoutMs); next = 1 }
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker))
  return clients
}

// ---------------------------------------------------------------------------------------------
// the writer and delivery accounting

// Each write is one transaction pushing one element onto Y.Array 'a', so the writer's item clock
// equals the write's sequence number. A received update (or several merged into one, as
// Hocuspocus does) is decoded once — every observer receives the same bytes, so the result is
// cached by content — into the list of sequence numbers it carries.
class Writer {
  constructor (client, maxWrites) {
    this.client = client
    this.doc = new Y.Doc()
    this.arr = this.doc.getArray('a')
    this.sendTime = new Float64Array(maxWrites)
    this.sent = 0
    this.maxWrites = maxWrites
    this.doc.on('update', (update) => { this.client.send(updateFrame(update)) })
  }

  write () {
    if (this.sent >= this.maxWrites) return false
    this.sendTime[this.sent] = performance.now()
    this.sent++
    this.arr.push([this.sent])
    return true
  }
}

const seqCache = new Map()
function seqsOf (payload, raw, writerClientId) {
  const key = raw.toString('latin1')
  let seqs = seqCache.get(key)
  if (seqs === undefined) {
    seqs = []
    for (const s of Y.decodeUpdate(payload).structs) {
      if (s.id.client !== writerClientId || !(s instanceof Y.Item)) continue
      for (let c = s.id.clock; c < s.id.clock + s.length; c++) seqs.push(c)
    }
    if (seqCache.size > 20000) seqCache.clear()
    seqCache.set(key, seqs)
  }
  return seqs
}

class Accounting {
  constructor (observers, maxWrites) {
    this.received = Array.from({ length: observers }, () => new Uint8Array(maxWrites))
    this.latencies = new Float64Array(Math.min(observers * maxWrites, 40_000_000))
    this.n = 0
    this.delivered = 0
    this.duplicates = 0
    this.frames = 0
  }

  record (observer, seqs, sendTime, now) {
    this.frames++
    const got = this.received[observer]
    for (const seq of seqs) {
      if (got[seq]) { this.duplicates++; continue }
      got[seq] = 1
      this.delivered++
      if (this.n < this.latencies.length) this.latencies[this.n++] = now - sendTime[seq]
    }
  }

  percentiles () {
    const a = this.latencies.subarray(0, this.n).sort()
    const at = (p) => (a.length ? a[Math.min(a.length - 1, Math.floor(p * a.length))] : null)
    return { p50_ms: at(0.5), p95_ms: at(0.95), p99_ms: at(0.99), max_ms: a.length ? a[a.length - 1] : null }
  }
}

function cpuMeter () {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  return () => {
    const c = process.cpuUsage(c0)
    const wall = performance.now() - t0
    return Math.round(((c.user + c.system) / 1000 / wall) * 1000) / 10 // percent of one core
  }
}

// One fan-out run: `observers` synced observers, one writer at `rate` writes/s for `duration`
// seconds, then at most `drain` seconds for the stragglers.
async function fanout ({ observers, rate, duration, drain }) {
  const maxWrites = Math.ceil(rate * duration) + 1
  const acct = new Accounting(observers, maxWrites)
  const remote = new Accounting(observers, BASES.length > 1 ? maxWrites : 1) // on other nodes
  let writer = null
  const obs = await openMany(observers, (i) => new Client({
    base: BASES[i % BASES.length],
    onSync: (m, raw) => {
      if (!writer) return
      const now = performance.now()
      const seqs = seqsOf(m.payload, raw, writer.doc.clientID)
      acct.record(i, seqs, writer.sendTime, now)
      if (i % BASES.length !== 0) remote.record(i, seqs, writer.sendTime, now)
    }
  }))
  const wc = await new Client({ base: BASES[0] }).open()
  writer = new Writer(wc, maxWrites)
  await sleep(200)
  const cpu = cpuMeter()
  const t0 = performance.now()
  const total = Math.floor(rate * duration)
  // Paced by elapsed time: each tick sends what is due, so timer jitter does not lower the rate.
  await new Promise((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate))
      while (writer.sent < due) writer.write()
      if (writer.sent >= total) return resolve()
      setTimeout(tick, 1)
    }
    tick()
  })
  const sendSeconds = (performance.now() - t0) / 1000
  const expected = writer.sent * observers
  const drainEnd = performance.now() + drain * 1000
  while (acct.delivered < expected && performance.now() < drainEnd) await sleep(20)
  const loadgenCpu = cpu()
  const lastDelivery = performance.now()
  const closed = obs.filter((c) => c.closed).length
  for (const c of obs) c.terminate()
  wc.terminate()
  return {
    observers,
    rate,
    writes: writer.sent,
    send_seconds: Math.round(sendSeconds * 1000) / 1000,
    expected,
    delivered: acct.delivered,
    lost: expected - acct.delivered,
    duplicates: acct.duplicates,
    frames: acct.frames,
    observers_closed: closed,
    deliveries_per_s: Math.round(acct.delivered / ((lastDelivery - t0) / 1000)),
    loadgen_cpu_pct: loadgenCpu,
    ...acct.percentiles(),
    ...(BASES.length > 1 ? { nodes: BASES.length, remote: remote.percentiles() } : {})
  }
}

// ---------------------------------------------------------------------------------------------
// server memory

function rssKiB (pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) : null
}
function rssTree (pids) {
  return pids.reduce((sum, pid) => sum + (rssKiB(pid) || 0), 0)
}

// ---------------------------------------------------------------------------------------------
// scenarios

const scenarios = {
  async fanout () {
    return fanout({
      observers: num('observers', 100),
      rate: num('rate', 200),
      duration: num('duration', 5),
      drain: num('drain', 5)
    })
  },

  // Rising write rate with 100 observers; stops at the first step with p99 > limit or a loss.
  async saturation () {
    const steps = (opts.steps || '500,1000,2000,3000,4000,6000,8000').split(',').map(Number)
    const limit = num('p99-limit', 100)
    const results = []
    let best = null
    for (const rate of steps) {
      const r = await fanout({
        observers: num('observers', 100), rate, duration: num('duration', 2), drain: num('drain', 2)
      })
      const ok = r.lost === 0 && r.p99_ms !== null && r.p99_ms <= limit
      results.push({ ...r, ok })
      log(`saturation rate=${rate}/s delivered/s=${r.deliveries_per_s} p99=${r.p99_ms?.toFixed(1)} lost=${r.lost} cpu=${r.loadgen_cpu_pct}%`)
      if (!ok) break
      best = r
      await sleep(300)
    }
    return {
      observers: num('observers', 100),
      sustained_deliveries_per_s: best ? best.rate * best.observers : 0,
      sustained_rate: best ? best.rate : 0,
      measured_deliveries_per_s: best ? best.deliveries_per_s : 0,
      loadgen_cpu_pct: best ? best.loadgen_cpu_pct : null,
      steps: results
    }
  },

  // Idle synced connections: server RSS growth per connection and time to connect+sync them all.
  async connections () {
    const count = num('count', 1000)
    const pids = (opts['server-pids'] || '').split(',').filter(Boolean).map(Number)
    const first = await new Client().open()
    await sleep(500)
    const before = pids.length ? rssTree(pids) : null
    const cpu = cpuMeter()
    const t0 = performance.now()
    const clients = await openMany(count, () => new Client(), num('parallel', 100))
    const seconds = (performance.now() - t0) / 1000
    const loadgenCpu = cpu()
    await sleep(num('settle', 1500))
    const after = pids.length ? rssTree(pids) : null
    const alive = clients.filter((c) => !c.closed).length
    for (const c of clients) c.terminate()
    first.terminate()
    return {
      count,
      alive,
      connect_sync_seconds: Math.round(seconds * 1000) / 1000,
      rss_before_kib: before,
      rss_after_kib: after,
      rss_per_connection_kib: before === null ? null : Math.round(((after - before) / count) * 100) / 100,
      loadgen_cpu_pct: loadgenCpu
    }
  },

  // Writes the cold-open documents through the server: `updates` messages of one array element
  // each, or a text of `bytes` bytes in chunks of `chunk` bytes. For Veche the writer opts in to
  // the saved notice and waits until every write is durable.
  async coldprep () {
    const kind = opts.kind || 'log'
    const doc = new Y.Doc()
    let acked = 0
    const c = await new Client({ onSaved: (m) => { acked = m.acknowledged } }).open()
    if (opts.saved === '1') c.send(new Uint8Array([MSG_SAVED]))
    let writes = 0
    doc.on('update', (u) => { c.send(updateFrame(u)); writes++ })
    const t0 = performance.now()
    if (kind === 'log') {
      const n = num('updates', 20000)
      const arr = doc.getArray('a')
      const batch = num('batch', 200)
      for (let i = 0; i < n; i++) {
        arr.push([i])
        // Pace on the socket's buffer so no server sees an unbounded burst.
        if (i % batch === batch - 1) {
          while (c.ws.bufferedAmount > 0) await sleep(1)
          await sleep(num('pause-ms', 5))
        }
      }
    } else {
      const total = num('bytes', 1_000_000)
      const chunk = num('chunk', 65536)
      const text = doc.getText('t')
      for (let off = 0; off < total; off += chunk) {
        text.insert(text.length, 'x'.repeat(Math.min(chunk, total - off)))
        while (c.ws.bufferedAmount > 0) await sleep(1)
        await sleep(20)
      }
    }
    const deadline = performance.now() + num('wait', 60) * 1000
    if (opts.saved === '1') {
      while (acked < writes && performance.now() < deadline) await sleep(20)
    } else {
      await sleep(num('settle', 3000))
    }
    const seconds = (performance.now() - t0) / 1000
    c.close()
    await sleep(300)
    return {
      kind,
      writes,
      acknowledged: opts.saved === '1' ? acked : null,
      state_bytes: Y.encodeStateAsUpdate(doc).length,
      write_seconds: Math.round(seconds * 1000) / 1000
    }
  },

  // A fresh client after a restart: time from opening the socket to having the synced state;
  // checks the state is complete (`expect-length` array elements or text characters).
  async coldopen () {
    const t0 = performance.now()
    const c = await new Client({ keepDoc: true }).open(num('timeout', 120) * 1000)
    const ms = c.syncedAt - t0
    const length = (opts.kind || 'log') === 'log' ? c.doc.getArray('a').length : c.doc.getText('t').length
    c.terminate()
    return {
      kind: opts.kind || 'log',
      sync_ms: Math.round(ms * 100) / 100,
      length,
      complete: length === num('expect-length', length)
    }
  },

  // Veche only: update → saved-notice latency, one write at a time (`count` writes, paced).
  async saved () {
    const count = num('count', 200)
    const interval = num('interval-ms', 10)
    const waiters = []
    const c = await new Client({
      onSaved: (m) => { while (waiters.length && waiters[0].n <= m.acknowledged) waiters.shift().resolve() }
    }).open()
    c.send(new Uint8Array([MSG_SAVED]))
    await sleep(200)
    const doc = new Y.Doc()
    let writes = 0
    doc.on('update', (u) => { c.send(updateFrame(u)); writes++ })
    const arr = doc.getArray('a')
    const lat = []
    for (let i = 0; i < count; i++) {
      const t = performance.now()
      const p = new Promise((resolve) => waiters.push({ n: writes + 1, resolve }))
      arr.push([i])
      const timeout = sleep(5000).then(() => 'timeout')
      if ((await Promise.race([p, timeout])) === 'timeout') break
      lat.push(performance.now() - t)
      await sleep(interval)
    }
    c.terminate()
    lat.sort((a, b) => a - b)
    const at = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : null)
    return { count, acknowledged: lat.length, p50_ms: at(0.5), p95_ms: at(0.95), p99_ms: at(0.99), max_ms: lat.length ? lat[lat.length - 1] : null }
  }
}

if (!scenarios[scenario]) {
  log(`unknown scenario ${scenario}; one of ${Object.keys(scenarios).join(', ')}`)
  process.exit(2)
}
const hardTimeout = setTimeout(() => { log('loadgen: hard timeout'); process.exit(3) }, num('hard-timeout', 600) * 1000)
hardTimeout.unref()
try {
  const result = await scenarios[scenario]()
  process.stdout.write(JSON.stringify({ scenario, proto: PROTO, doc: DOC, ...result }) + '\n')
  process.exit(0)
} catch (err) {
  process.stdout.write(JSON.stringify({ scenario, proto: PROTO, error: String(err && err.message || err) }) + '\n')
  process.exit(1)
}
