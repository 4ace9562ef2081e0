// Veche benchmark load generator: one Node process drives every client of a scenario over raw
// `ws` sockets, speaking the y-websocket protocol (Veche, @y/websocket-server, pycrdt-websocket)
// or Hocuspocus' variant of it (every message prefixed with the document name, auth first).
// fanout and saturation can spread their observers over more processes (`--loadgens K`): this
// one holds the writer and the first share of the observers and forks K - 1 helpers (the
// `helper` scenario, driven over the IPC channel) for the rest.
//
//   node loadgen.mjs <scenario> --base ws://127.0.0.1:PORT[/yjs] --proto yws|hocuspocus [options]
//
// Scenarios: fanout, saturation, connections, storm, coldprep, coldopen, saved.
// Prints exactly one JSON object on stdout (the result); diagnostics go to stderr.
// Every loop is bounded in count and in time; only loopback addresses are accepted.

import { performance } from 'node:perf_hooks'
import { readFileSync } from 'node:fs'
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
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
// One API token per client (storm): a file with one token a line; client i uses line i.
const TOKENS = opts.tokens
  ? readFileSync(opts.tokens, 'utf8').split('\n').map((t) => t.trim()).filter(Boolean)
  : []
const log = (...a) => process.stderr.write(a.join(' ') + '\n')
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
// Milliseconds since the epoch with sub-millisecond precision: every process on this machine
// reads the same clock, so a time written by one process can be compared by another.
const epochNow = () => performance.timeOrigin + performance.now()

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
// The server answers Auth / Authenticated (2) with the scope, then processes queued messages;
// or Auth / PermissionDenied (1) with a reason.
const AUTH_DENIED = 1
const authFrame = (token) => frame((e) => {
  encoding.writeVarUint(e, MSG_AUTH)
  encoding.writeVarUint(e, 0)
  encoding.writeVarString(e, token)
})
const authMsg = authFrame('')
const updateFrame = (update) => frame((e) => {
  encoding.writeVarUint(e, MSG_SYNC)
  encoding.writeVarUint(e, SYNC_UPDATE)
  encoding.writeVarUint8Array(e, update)
})

// y-websocket servers take the document from the path and a token from `?token=` (Veche; the
// peers ignore it); Hocuspocus takes both from its messages.
function urlFor (base = BASE, token = '') {
  if (PROTO === 'hocuspocus') return base
  const url = `${base.replace(/\/$/, '')}/${encodeURIComponent(DOC)}`
  return token ? `${url}?token=${encodeURIComponent(token)}` : url
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
  if (type === MSG_AUTH) {
    const sub = decoding.readVarUint(d)
    return { type, sub, reason: sub === AUTH_DENIED && decoding.hasContent(d) ? decoding.readVarString(d) : '' }
  }
  return { type }
}

// A client: a raw socket that syncs (sends step 1 with an empty state vector, waits for step 2)
// and hands every later sync message to onSync(parsed, raw bytes).
class Client {
  constructor ({ onSync = null, onSaved = null, keepDoc = false, base = BASE, token = '' } = {}) {
    this.base = base
    this.token = token
    this.onSync = onSync
    this.onSaved = onSaved
    this.doc = keepDoc ? new Y.Doc() : null
    this.synced = false
    this.closed = false
    this.syncedAt = 0
  }

  open (timeoutMs = 60000) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(urlFor(this.base, this.token), { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 })
      this.ws = ws
      ws.binaryType = 'nodebuffer'
      const timer = setTimeout(() => { reject(new Error('sync timeout')); ws.terminate() }, timeoutMs)
      ws.on('open', () => {
        if (PROTO === 'hocuspocus') ws.send(this.token ? authFrame(this.token) : authMsg)
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
        } else if (m.type === MSG_AUTH && m.sub === AUTH_DENIED && !this.synced) {
          clearTimeout(timer)
          reject(new Error(`permission denied (${m.reason})`))
          ws.terminate()
        }
      })
      ws.on('error', (err) => { clearTimeout(timer); if (!this.synced) reject(err) })
      ws.on('close', (code, reason) => {
        this.closed = true
        clearTimeout(timer)
        if (!this.synced) reject(new Error(`closed before sync (${[code, String(reason || '')].join(' ').trim()})`))
      })
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

// Each write is one transaction pushing one element onto Y.Array 'a': the writer's item clock
// equals the write's sequence number, and the element is the write's send time (epochNow), so
// that an observer in any load-generator process can tell its latency. A received update (or
// several merged into one, as Hocuspocus does) is decoded once — every observer receives the
// same bytes, so the result is cached by content — into the sequence numbers and send times it
// carries.
class Writer {
  constructor (client, maxWrites) {
    this.client = client
    this.doc = new Y.Doc()
    this.arr = this.doc.getArray('a')
    this.sent = 0
    this.maxWrites = maxWrites
    this.doc.on('update', (update) => { this.client.send(updateFrame(update)) })
  }

  write () {
    if (this.sent >= this.maxWrites) return false
    this.sent++
    this.arr.push([epochNow()])
    return true
  }
}

const seqCache = new Map()
function seqsOf (payload, raw, writerClientId) {
  const key = raw.toString('latin1')
  let entry = seqCache.get(key)
  if (entry === undefined) {
    entry = { seqs: [], sent: [] }
    for (const s of Y.decodeUpdate(payload).structs) {
      if (s.id.client !== writerClientId || !(s instanceof Y.Item)) continue
      const times = s.content.getContent()
      for (let k = 0; k < s.length; k++) {
        entry.seqs.push(s.id.clock + k)
        entry.sent.push(typeof times[k] === 'number' ? times[k] : NaN)
      }
    }
    if (seqCache.size > 20000) seqCache.clear()
    seqCache.set(key, entry)
  }
  return entry
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

  record (observer, { seqs, sent }, now) {
    this.frames++
    const got = this.received[observer]
    for (let k = 0; k < seqs.length; k++) {
      const seq = seqs[k]
      if (got[seq]) { this.duplicates++; continue }
      got[seq] = 1
      this.delivered++
      if (this.n < this.latencies.length && !Number.isNaN(sent[k])) this.latencies[this.n++] = now - sent[k]
    }
  }

  taken () { return this.latencies.slice(0, this.n) }
}

// Percentiles over every delivery of every process (the latency arrays put together).
function percentilesOf (parts) {
  const a = new Float64Array(parts.reduce((sum, p) => sum + p.length, 0))
  let offset = 0
  for (const p of parts) { a.set(p, offset); offset += p.length }
  a.sort()
  const at = (p) => (a.length ? a[Math.min(a.length - 1, Math.floor(p * a.length))] : null)
  return { p50_ms: at(0.5), p95_ms: at(0.95), p99_ms: at(0.99), max_ms: a.length ? a[a.length - 1] : null }
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

// The observers one process holds: the run's observers [from, to). Observer i connects to node
// i % BASES.length; node 0 (BASES[0]) is the writer's, the others are "remote".
class ObserverGroup {
  constructor (from, to, maxWrites) {
    this.from = from
    this.count = Math.max(0, to - from)
    this.acct = new Accounting(this.count, maxWrites)
    this.remote = new Accounting(this.count, BASES.length > 1 ? maxWrites : 1)
    this.writerId = null
    this.clients = []
  }

  async open () {
    this.clients = await openMany(this.count, (j) => {
      const i = this.from + j
      return new Client({ base: BASES[i % BASES.length], onSync: (m, raw) => this.receive(j, i, m, raw) })
    })
  }

  receive (j, i, m, raw) {
    if (this.writerId === null) return
    const now = epochNow()
    const entry = seqsOf(m.payload, raw, this.writerId)
    this.acct.record(j, entry, now)
    if (i % BASES.length !== 0) this.remote.record(j, entry, now)
  }

  // Waits until every observer here has every write, or the deadline (epoch ms) passes.
  async drain (writes, deadline) {
    const expected = writes * this.count
    while (this.acct.delivered < expected && epochNow() < deadline) await sleep(20)
    return epochNow()
  }

  summary () {
    return {
      observers: this.count,
      delivered: this.acct.delivered,
      duplicates: this.acct.duplicates,
      frames: this.acct.frames,
      closed: this.clients.filter((c) => c.closed).length,
      latencies: this.acct.taken(),
      remote: this.remote.taken()
    }
  }

  close () { for (const c of this.clients) c.terminate() }
}

// ---------------------------------------------------------------------------------------------
// more load-generator processes (--loadgens K): helpers forked by this one, each holding a
// share of the observers; messages over the IPC channel, one request and its answer at a time.

class Helper {
  constructor (index) {
    this.index = index
    this.waiting = null
    const args = ['helper', '--base', BASE, '--proto', PROTO, '--doc', DOC, '--bases', BASES.join(',')]
    args.push('--hard-timeout', String(num('hard-timeout', 600)))
    this.child = fork(fileURLToPath(import.meta.url), args, {
      serialization: 'advanced', // typed arrays travel as such
      stdio: ['ignore', 'ignore', 'inherit', 'ipc']
    })
    this.child.on('message', (m) => {
      const w = this.waiting
      if (!w || (m.op !== w.op && m.op !== 'error')) return
      this.waiting = null
      clearTimeout(w.timer)
      if (m.op === 'error') w.reject(new Error(`load generator ${this.index}: ${m.error}`))
      else w.resolve(m)
    })
    this.child.on('exit', (code) => {
      this.exited = true
      const w = this.waiting
      if (!w) return
      this.waiting = null
      clearTimeout(w.timer)
      w.reject(new Error(`load generator ${this.index} exited with ${code}`))
    })
  }

  send (message) { if (!this.exited) this.child.send(message) }

  ask (message, op, timeoutMs) {
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(new Error(`load generator ${this.index} has exited`))
      const timer = setTimeout(() => {
        this.waiting = null
        reject(new Error(`load generator ${this.index}: no ${op} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.waiting = { op, resolve, reject, timer }
      this.child.send(message)
    })
  }

  stop () { if (!this.exited) this.child.kill() }
}

async function withHelpers (work) {
  const count = Math.max(1, Math.min(16, num('loadgens', 1)))
  const helpers = Array.from({ length: count - 1 }, (_, i) => new Helper(i + 1))
  try {
    return await work(helpers)
  } finally {
    for (const h of helpers) h.stop()
  }
}

// The helper process: opens its share of the observers, counts what they receive, reports.
function helper () {
  let group = null
  let cpu = null
  process.on('disconnect', () => process.exit(0))
  process.on('message', async (m) => {
    try {
      if (m.op === 'open') {
        if (group) group.close()
        group = new ObserverGroup(m.from, m.to, m.maxWrites)
        await group.open()
        process.send({ op: 'opened' })
      } else if (m.op === 'start') {
        group.writerId = m.writerId
        process.send({ op: 'started' })
      } else if (m.op === 'measure') {
        cpu = cpuMeter()
      } else if (m.op === 'drain') {
        const end = await group.drain(m.writes, m.deadline)
        const cpuPct = cpu ? cpu() : null
        const summary = group.summary()
        group.close()
        group = null
        process.send({ op: 'drained', ...summary, cpu: cpuPct, end })
      }
    } catch (err) {
      process.send({ op: 'error', error: String((err && err.message) || err) })
    }
  })
}

// One fan-out run: `observers` synced observers, one writer at `rate` writes/s for `duration`
// seconds, then at most `drain` seconds for the stragglers. With helpers, the observers are
// split into equal consecutive shares, this process holding the first and the writer.
async function fanout ({ observers, rate, duration, drain, helpers = [] }) {
  const maxWrites = Math.ceil(rate * duration) + 1
  const processes = helpers.length + 1
  const bound = (p) => Math.floor((p * observers) / processes)
  const own = new ObserverGroup(0, bound(1), maxWrites)
  await own.open() // first: it creates the document, before the helpers' observers race in
  await Promise.all(helpers.map((h, p) =>
    h.ask({ op: 'open', from: bound(p + 1), to: bound(p + 2), maxWrites }, 'opened', 180000)))
  const wc = await new Client({ base: BASES[0] }).open()
  const writer = new Writer(wc, maxWrites)
  own.writerId = writer.doc.clientID
  await Promise.all(helpers.map((h) => h.ask({ op: 'start', writerId: own.writerId }, 'started', 30000)))
  await sleep(200)
  for (const h of helpers) h.send({ op: 'measure' })
  const cpu = cpuMeter()
  const t0 = performance.now()
  const t0Epoch = epochNow()
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
  const deadline = epochNow() + drain * 1000
  const answers = helpers.map((h) =>
    h.ask({ op: 'drain', writes: writer.sent, deadline }, 'drained', drain * 1000 + 60000))
  const ownEnd = await own.drain(writer.sent, deadline)
  const ownCpu = cpu()
  const parts = [{ ...own.summary(), cpu: ownCpu, end: ownEnd }, ...(await Promise.all(answers))]
  own.close()
  wc.terminate()
  const sum = (key) => parts.reduce((s, p) => s + p[key], 0)
  const cpus = parts.map((p) => p.cpu).filter((c) => typeof c === 'number')
  const delivered = sum('delivered')
  const expected = writer.sent * observers
  const end = Math.max(...parts.map((p) => p.end))
  return {
    observers,
    rate,
    writes: writer.sent,
    send_seconds: Math.round(sendSeconds * 1000) / 1000,
    expected,
    delivered,
    lost: expected - delivered,
    duplicates: sum('duplicates'),
    frames: sum('frames'),
    observers_closed: sum('closed'),
    deliveries_per_s: Math.round(delivered / ((end - t0Epoch) / 1000)),
    loadgens: processes,
    loadgen_cpu_pct: cpus.length ? Math.max(...cpus) : null, // the busiest process
    loadgen_cpu_sum_pct: Math.round(cpus.reduce((s, c) => s + c, 0) * 10) / 10,
    loadgen_cpu_each_pct: cpus,
    observers_each: parts.map((p) => p.observers),
    p50_each_ms: parts.map((p) => percentilesOf([p.latencies]).p50_ms), // per process: a check
    ...percentilesOf(parts.map((p) => p.latencies)),
    ...(BASES.length > 1 ? { nodes: BASES.length, remote: percentilesOf(parts.map((p) => p.remote)) } : {})
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

// Idle synced connections (`count`), each with its own token when `tokens` is given: server RSS
// growth per connection (`server-pids`) and the time to connect and sync them all.
async function idle (tokens) {
  const count = num('count', 1000)
  if (tokens && tokens.length < count) throw new Error(`${tokens.length} tokens for ${count} clients`)
  const token = (i) => (tokens ? tokens[i] : '')
  const pids = (opts['server-pids'] || '').split(',').filter(Boolean).map(Number)
  const first = await new Client({ token: token(0) }).open()
  await sleep(500)
  const before = pids.length ? rssTree(pids) : null
  const cpu = cpuMeter()
  const t0 = performance.now()
  const clients = await openMany(count, (i) => new Client({ token: token(i) }), num('parallel', 100))
  const seconds = (performance.now() - t0) / 1000
  const loadgenCpu = cpu()
  await sleep(num('settle', 1500))
  const after = pids.length ? rssTree(pids) : null
  const alive = clients.filter((c) => !c.closed).length
  // With tokens, after the measurement: does the server turn away a client without one?
  let anonymous = null
  if (tokens) {
    try {
      (await new Client().open(10000)).terminate()
      anonymous = 'admitted'
    } catch (err) {
      anonymous = `refused: ${err.message}`
    }
  }
  for (const c of clients) c.terminate()
  first.terminate()
  return {
    count,
    alive,
    connect_sync_seconds: Math.round(seconds * 1000) / 1000,
    rss_before_kib: before,
    rss_after_kib: after,
    rss_per_connection_kib: before === null ? null : Math.round(((after - before) / count) * 100) / 100,
    loadgen_cpu_pct: loadgenCpu,
    with_tokens: Boolean(tokens),
    ...(tokens ? { without_token: anonymous } : {})
  }
}

// ---------------------------------------------------------------------------------------------
// scenarios

const scenarios = {
  async fanout () {
    return withHelpers((helpers) => fanout({
      observers: num('observers', 100),
      rate: num('rate', 200),
      duration: num('duration', 5),
      drain: num('drain', 5),
      helpers
    }))
  },

  // Rising write rate with 100 observers; stops at the first step with p99 > limit or a loss.
  async saturation () {
    const steps = (opts.steps || '500,1000,2000,3000,4000,6000,8000,10000,12000,16000').split(',').map(Number)
    const limit = num('p99-limit', 100)
    const results = []
    let best = null
    await withHelpers(async (helpers) => {
      for (const rate of steps) {
        const r = await fanout({
          observers: num('observers', 100), rate, duration: num('duration', 2), drain: num('drain', 2), helpers
        })
        const ok = r.lost === 0 && r.p99_ms !== null && r.p99_ms <= limit
        results.push({ ...r, ok })
        log(`saturation rate=${rate}/s delivered/s=${r.deliveries_per_s} p99=${r.p99_ms?.toFixed(1)} lost=${r.lost} cpu=${r.loadgen_cpu_each_pct.join('+')}%`)
        if (!ok) break
        best = r
        await sleep(300)
      }
    })
    return {
      observers: num('observers', 100),
      loadgens: Math.max(1, Math.min(16, num('loadgens', 1))),
      sustained_deliveries_per_s: best ? best.rate * best.observers : 0,
      sustained_rate: best ? best.rate : 0,
      measured_deliveries_per_s: best ? best.deliveries_per_s : 0,
      loadgen_cpu_pct: best ? best.loadgen_cpu_pct : null,
      loadgen_cpu_sum_pct: best ? best.loadgen_cpu_sum_pct : null,
      steps: results
    }
  },

  // Idle synced connections: server RSS growth per connection and time to connect+sync them all.
  async connections () {
    return idle(null)
  },

  // The same with a token per client (`--tokens FILE`), on a document that needs one: the
  // connection storm a deployment sees after a restart. The first client (the RSS baseline)
  // uses the first token too.
  async storm () {
    if (!TOKENS.length) throw new Error('storm needs --tokens FILE')
    return idle(TOKENS)
  },

  // Writes the cold-open documents through the server: `updates` messages of one array element
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
        // Pace on the socket's buffer so no server sees an unbounded burst, and, when the
        // server acknowledges saves, on them too: a server whose commits fall behind by its
        // backlog bound closes a writer as overloaded (Veche's VECHE_COMMIT_BACKLOG).
        if (i % batch === batch - 1) {
          while (c.ws.bufferedAmount > 0) await sleep(1)
          const ahead = num('ahead', 2000)
          const until = performance.now() + 60000
          while (opts.saved === '1' && writes - acked > ahead && performance.now() < until) await sleep(1)
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

if (!scenarios[scenario] && scenario !== 'helper') {
  log(`unknown scenario ${scenario}; one of ${Object.keys(scenarios).join(', ')}`)
  process.exit(2)
}
const hardTimeout = setTimeout(() => { log('loadgen: hard timeout'); process.exit(3) }, num('hard-timeout', 600) * 1000)
hardTimeout.unref()
if (scenario === 'helper') {
  helper() // answers the forking process until it disconnects
} else {
  try {
    const result = await scenarios[scenario]()
    process.stdout.write(JSON.stringify({ scenario, proto: PROTO, doc: DOC, ...result }) + '\n')
    process.exit(0)
  } catch (err) {
    process.stdout.write(JSON.stringify({ scenario, proto: PROTO, error: String(err && err.message || err) }) + '\n')
    process.exit(1)
  }
}
