// Shared by bench/loadgen/crowd.mjs: options, figures, REST calls spread over time, and the
// members' live sockets. One process; loopback only; every wait is bounded.

import http from 'node:http'
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import WebSocket from 'ws'

const args = process.argv.slice(2)
export const scenario = args[0]
const opts = {}
for (let i = 1; i < args.length; i += 2) {
  if (!args[i].startsWith('--')) throw new Error(`bad option ${args[i]}`)
  opts[args[i].slice(2)] = args[i + 1]
}
export const num = (name, dflt) => (opts[name] === undefined ? dflt : Number(opts[name]))
export const BASE = (opts.base || '').replace(/\/$/, '')
if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(BASE)) throw new Error('--base must be http://127.0.0.1:PORT')
const PEOPLE = JSON.parse(readFileSync(opts.people, 'utf8'))
export const ROOM = PEOPLE.room
export const TOKENS = PEOPLE.tokens
export const log = (...a) => process.stderr.write(a.join(' ') + '\n')
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
export const now = () => performance.now()
// Announces a measured part (crowd.py may attach a profiler), then gives it time to attach;
// phaseEnd says it is over.
export async function phase (name) {
  log(`phase start ${name}`)
  if (num('phase-wait-ms', 0) > 0) await sleep(num('phase-wait-ms', 0))
}
export const phaseEnd = (name) => log(`phase end ${name}`)
export const round = (x, digits = 2) => (x === null ? null : Math.round(x * 10 ** digits) / 10 ** digits)

export function stats (values) {
  const a = Float64Array.from(values).sort()
  const at = (p) => (a.length ? a[Math.min(a.length - 1, Math.floor(p * a.length))] : null)
  return {
    count: a.length,
    p50_ms: round(at(0.5)),
    p95_ms: round(at(0.95)),
    p99_ms: round(at(0.99)),
    max_ms: round(a.length ? a[a.length - 1] : null)
  }
}

// The server's CPU seconds (user + system) from /proc/PID/stat; null without --server-pid.
export function serverCpu () {
  if (!opts['server-pid']) return null
  const text = readFileSync(`/proc/${opts['server-pid']}/stat`, 'utf8')
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / num('clk-tck', 100)
}

// Seconds the server's event-loop thread was ready to run but waited for a CPU (the
// scheduler's run-queue time, /proc/PID/schedstat): other processes' share of the window.
export function serverWait () {
  if (!opts['server-pid']) return null
  return Number(readFileSync(`/proc/${opts['server-pid']}/schedstat`, 'utf8').split(' ')[1]) / 1e9
}

export function loadgenCpu () {
  const c0 = process.cpuUsage()
  const t0 = now()
  return () => {
    const c = process.cpuUsage(c0)
    return round(((c.user + c.system) / 1000 / (now() - t0)) * 100, 1)
  }
}

// ---------------------------------------------------------------------------------------------
// REST: one keep-alive pool for every member (their bearer tokens differ per request)

const agent = new http.Agent({ keepAlive: true, maxSockets: 2048, maxFreeSockets: 2048 })

export function request (method, url, token, body, timeoutMs = 30000) {
  return new Promise((resolve) => {
    const payload = body === undefined ? null : Buffer.from(JSON.stringify(body))
    const headers = { authorization: `Bearer ${token}`, accept: 'application/json' }
    if (payload) Object.assign(headers, { 'content-type': 'application/json', 'content-length': payload.length })
    const req = http.request(url, { method, agent, headers, timeout: timeoutMs }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString()
        let json = null
        try { json = JSON.parse(text) } catch {}
        resolve({ status: res.statusCode, json, text: text.slice(0, 300) })
      })
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', (err) => resolve({ status: 0, json: null, text: String(err.message) }))
    if (payload) req.write(payload)
    req.end()
  })
}

// `count` casts to `urlFor(i)` with token i, the i-th sent at start + i * spreadMs / count
// whatever the answers before it (no wait on them). Returns per-cast send/answer times.
export async function castAll (count, spreadMs, urlFor, choiceOf) {
  const sentAt = new Float64Array(count)
  const answeredAt = new Float64Array(count)
  const lag = new Float64Array(count)
  const statuses = {}
  const failures = []
  let sent = 0
  let answered = 0
  const t0 = now()
  await new Promise((resolve) => {
    const deadline = t0 + spreadMs + 60000
    const tick = () => {
      const due = Math.min(count, Math.floor(((now() - t0) / spreadMs) * count) + 1)
      while (sent < due) {
        const i = sent++
        sentAt[i] = now()
        lag[i] = sentAt[i] - (t0 + (i * spreadMs) / count)
        request('POST', urlFor(i), TOKENS[i], { choice: choiceOf(i) }).then((r) => {
          answeredAt[i] = now()
          statuses[r.status] = (statuses[r.status] || 0) + 1
          if (r.status < 200 || r.status >= 300) failures.push({ member: i, status: r.status, text: r.text })
          if (++answered === count) resolve()
        })
      }
      if (sent < count && now() < deadline) setTimeout(tick, 1)
      else if (now() >= deadline) resolve()
    }
    tick()
  })
  while (answered < count && now() < t0 + spreadMs + 60000) await sleep(10)
  const latencies = Array.from({ length: count }, (_, i) => answeredAt[i] - sentAt[i]).filter((x) => x >= 0)
  const errors = count - (Object.entries(statuses).filter(([s]) => s >= 200 && s < 300).reduce((n, [, v]) => n + v, 0))
  return {
    t0,
    lastAnswer: Math.max(...answeredAt),
    result: {
      casts: count,
      answered,
      errors,
      statuses,
      failures: failures.slice(0, 5),
      cast_seconds: round((Math.max(...answeredAt) - t0) / 1000, 3),
      send_lag_max_ms: round(Math.max(...lag)),
      latency: stats(latencies)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// live sockets

export class Member {
  constructor (index, onFrame = null) {
    this.index = index
    this.onFrame = onFrame
    this.welcome = null
    this.closed = false
    this.closeCode = null
    this.frames = 0
  }

  url (since) {
    const query = `token=${encodeURIComponent(TOKENS[this.index])}` + (since === undefined ? '' : `&since=${since}`)
    return `${BASE.replace('http://', 'ws://')}/live/${encodeURIComponent(ROOM)}?${query}`
  }

  // Resolves once the `welcome` arrived (later frames go to onFrame).
  open (timeoutMs = 60000, since = undefined) {
    this.closed = false
    this.welcome = null
    this.startedAt = now()
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url(since), { perMessageDeflate: false })
      this.ws = ws
      const timer = setTimeout(() => { reject(new Error(`member ${this.index}: no welcome`)); ws.terminate() }, timeoutMs)
      ws.on('open', () => { this.openedAt = now() })
      ws.on('message', (data) => {
        this.frames++
        Member.lastFrameAt = now()
        if (this.welcome === null) {
          const m = JSON.parse(data.toString())
          if (m.type !== 'welcome') return
          this.welcome = m
          this.welcomedAt = now()
          clearTimeout(timer)
          resolve(this)
          return
        }
        if (this.onFrame) this.onFrame(this, data)
      })
      ws.on('error', (err) => { clearTimeout(timer); if (!this.welcome) reject(err) })
      ws.on('close', (code) => {
        this.closed = true
        this.closeCode = code
        clearTimeout(timer)
        if (!this.welcome) reject(new Error(`member ${this.index}: closed ${code} before the welcome`))
      })
    })
  }

  send (message) { this.ws.send(JSON.stringify(message)) }
  close () {
    return new Promise((resolve) => {
      if (this.closed) return resolve()
      this.ws.once('close', () => resolve())
      this.ws.close()
      setTimeout(resolve, 5000)
    })
  }
}
Member.lastFrameAt = 0

// Connects members 0..count-1 (at most `parallel` handshakes in flight), then waits until the
// room is quiet (the `joined` news of everyone to everyone) for `quietMs`.
export async function connectAll (count, onFrame, parallel = 50) {
  const members = Array.from({ length: count }, (_, i) => new Member(i, onFrame))
  const cpu0 = serverCpu()
  const t0 = now()
  const deadline = t0 + 300000
  let next = 0
  const worker = async () => {
    while (next < count && now() < deadline) await members[next++].open()
  }
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker))
  const connectSeconds = (now() - t0) / 1000
  const quietFrom = now()
  while (now() - Member.lastFrameAt < num('quiet-ms', 700) && now() - quietFrom < 120000) await sleep(50)
  const cpu1 = serverCpu()
  return {
    members,
    connect: {
      members: count,
      connect_seconds: round(connectSeconds, 3),
      settle_seconds: round((now() - quietFrom) / 1000, 3),
      frames_per_member: round(members.reduce((n, m) => n + m.frames, 0) / count, 1),
      closed: members.filter((m) => m.closed).length,
      server_cpu_s: cpu0 === null ? null : round(cpu1 - cpu0, 3)
    }
  }
}

export const closeAll = (members) => Promise.all(members.map((m) => m.close()))
