// The "crowd" benchmark's clients (bench/crowd.py runs this): every member of one live room on
// a raw `ws` socket of its own, in one Node process, plus the REST calls the scenarios need.
//
//   node crowd.mjs <voters|floor|messages|resume> --base http://127.0.0.1:PORT --people FILE
//                  [--server-pid PID --clk-tck 100] [options]
//
// voters:   all members connected to /live/{room}; the owner opens a poll; every member casts
//           a ballot over REST (keep-alive), the casts spread evenly over --spread-ms; each
//           socket's time to a `poll.tally` showing every ballot.
// floor:    the same casts against bench/floor_app.py (no sockets).
// messages: all members connected; one participant posts over its socket at --rate for
//           --duration s; latency send -> each other member's receipt.
// resume:   two members; one leaves, --count messages are posted, it comes back with since=.
// Prints one JSON object on stdout; `phase start|end NAME` lines on stderr mark the measured
// parts (crowd.py profiles them). Every loop is bounded in count and time; loopback only.
// The sockets, the REST calls and the figures are in crowd_lib.mjs.

import {
  BASE, Member, ROOM, TOKENS, castAll, closeAll, connectAll, loadgenCpu, log, now, num, phase, phaseEnd, request,
  round, scenario, serverCpu, serverWait, sleep, stats
} from './crowd_lib.mjs'

// ---------------------------------------------------------------------------------------------
// scenarios

const scenarios = {
  async voters () {
    const count = TOKENS.length
    // per member: the highest count of ballots shown to it, and when it was first shown
    const shown = new Uint32Array(count)
    const shownAt = new Float64Array(count)
    const pushes = new Uint32Array(count)
    let pollId = -1
    const onFrame = (member, data) => {
      const text = data.toString()
      if (!text.includes('"poll.tally"')) return
      const m = JSON.parse(text)
      if (m.type !== 'poll.tally' || m.poll_id !== pollId) return
      pushes[member.index]++
      if (m.ballots > shown[member.index]) {
        shown[member.index] = m.ballots
        shownAt[member.index] = now()
      }
    }
    const { members, connect } = await connectAll(count, onFrame)
    const api = `${BASE}/api/v1/rooms/${encodeURIComponent(ROOM)}/polls`
    const poll = await request('POST', api, TOKENS[0], {
      title: 'Бюджет 2027 (crowd bench)', method: 'yes_no_abstain', visibility: 'always'
    })
    if (poll.status !== 201) throw new Error(`opening the poll: ${poll.status} ${poll.text}`)
    pollId = poll.json.id
    await sleep(300) // the `poll.opened` event reaches everyone before the first ballot
    const spread = num('spread-ms', 2000)
    await phase('cast')
    const cpu0 = serverCpu()
    const wait0 = serverWait()
    const lg = loadgenCpu()
    const choices = ['yes', 'no', 'abstain']
    const casting = await castAll(count, spread, () => `${api}/${pollId}/ballots`, (i) => choices[i % 3])
    const cpu1 = serverCpu()
    const wait1 = serverWait()
    // everyone should see every ballot; if some casts failed, the accepted ones at least
    const accepted = count - casting.result.errors
    const wait = num('tally-wait-ms', 10000)
    const open = members.filter((m) => !m.closed)
    while (open.some((m) => shown[m.index] < accepted) && now() < casting.lastAnswer + wait) await sleep(5)
    const cpu2 = serverCpu()
    phaseEnd('cast')
    const after = (target) => open.filter((m) => shown[m.index] >= target).map((m) => shownAt[m.index] - casting.lastAnswer)
    const seen = after(count)
    const seenAccepted = after(accepted)
    const result = {
      people: count,
      poll_id: pollId,
      connect,
      ...casting.result,
      tally: {
        connected: open.length,
        saw_all: seen.length,
        never_within_wait: open.length - seen.length,
        wait_ms: wait,
        max_ballots_seen: Math.max(...shown),
        accepted,
        saw_accepted: seenAccepted.length,
        accepted_after_last_answer: stats(seenAccepted),
        pushes_per_member: round(open.reduce((n, m) => n + pushes[m.index], 0) / Math.max(1, open.length), 1),
        after_last_answer: stats(seen),
        min_ms: round(seen.length ? Math.min(...seen) : null)
      },
      server_cpu_cast_s: cpu0 === null ? null : round(cpu1 - cpu0, 3),
      server_runqueue_wait_cast_s: wait0 === null ? null : round(wait1 - wait0, 3),
      server_cpu_cast_and_tally_s: cpu0 === null ? null : round(cpu2 - cpu0, 3),
      server_cpu_ms_per_ballot: cpu0 === null ? null : round(((cpu1 - cpu0) / count) * 1000, 3),
      loadgen_cpu_pct: lg()
    }
    await closeAll(members)
    return result
  },

  async floor () {
    const count = TOKENS.length
    const spread = num('spread-ms', 2000)
    const pollId = num('poll', 1)
    await phase('floor')
    const cpu0 = serverCpu()
    const wait0 = serverWait()
    const lg = loadgenCpu()
    const choices = ['yes', 'no', 'abstain']
    const casting = await castAll(count, spread, () => `${BASE}/ballots/${pollId}`, (i) => choices[i % 3])
    const cpu1 = serverCpu()
    phaseEnd('floor')
    return {
      people: count,
      ...casting.result,
      server_cpu_cast_s: cpu0 === null ? null : round(cpu1 - cpu0, 3),
      server_runqueue_wait_cast_s: wait0 === null ? null : round(serverWait() - wait0, 3),
      server_cpu_ms_per_ballot: cpu0 === null ? null : round(((cpu1 - cpu0) / count) * 1000, 3),
      loadgen_cpu_pct: lg()
    }
  },

  async messages () {
    const count = TOKENS.length
    const rate = num('rate', 20)
    const duration = num('duration', 10)
    const total = Math.floor(rate * duration)
    const poster = count > 1 ? 1 : 0 // a participant (0 owns the room)
    const sentAt = new Float64Array(total)
    const got = Array.from({ length: count }, () => new Uint8Array(total))
    const latencies = []
    let delivered = 0
    let duplicates = 0
    const acks = { ok: 0, errors: 0, codes: {} }
    const ackLatencies = [] // send -> the poster's ack: the post's own time in the server
    const onFrame = (member, data) => {
      const text = data.toString()
      if (member.index === poster) {
        if (text.includes('"ack"')) {
          acks.ok++
          const ref = /"ref": ?"m(\d+)"/.exec(text)
          if (ref) ackLatencies.push(now() - sentAt[Number(ref[1])])
        }
        else if (text.includes('"error"')) { acks.errors++; const c = JSON.parse(text).code; acks.codes[c] = (acks.codes[c] || 0) + 1 }
        return
      }
      if (!text.includes('"message.posted"')) return
      const m = JSON.parse(text)
      const k = Number(/^crowd (\d+)$/.exec(m.message.body)?.[1] ?? -1)
      if (k < 0 || k >= total) return
      if (got[member.index][k]) { duplicates++; return }
      got[member.index][k] = 1
      delivered++
      latencies.push(now() - sentAt[k])
    }
    await phase('connect') // every member joining: profiled with the rest (--profile)
    const { members, connect } = await connectAll(count, onFrame)
    phaseEnd('connect')
    const receivers = members.filter((m) => m.index !== poster && !m.closed).length
    const drain = num('drain', 5)
    await phase('messages')
    const cpu0 = serverCpu()
    const wait0 = serverWait()
    const lg = loadgenCpu()
    const t0 = now()
    let sent = 0
    await new Promise((resolve) => {
      const tick = () => {
        const due = Math.min(total, Math.floor(((now() - t0) / 1000) * rate) + 1)
        while (sent < due) {
          sentAt[sent] = now()
          members[poster].send({ type: 'post', ref: `m${sent}`, body: `crowd ${sent}` })
          sent++
        }
        if (sent >= total) resolve()
        else setTimeout(tick, 1)
      }
      tick()
    })
    const sendSeconds = (now() - t0) / 1000
    const expected = sent * receivers
    const drainEnd = now() + drain * 1000
    while (delivered < expected && now() < drainEnd) await sleep(10)
    const cpu1 = serverCpu()
    const wait1 = serverWait()
    const windowSeconds = (now() - t0) / 1000
    // late is not lost: wait (bounded) for the rest before counting losses
    const lateEnd = now() + num('late-wait', 60) * 1000
    const inDrain = delivered
    while (delivered < expected && now() < lateEnd && members.some((m) => !m.closed)) await sleep(20)
    phaseEnd('messages')
    const result = {
      people: count,
      receivers,
      rate,
      sent,
      send_seconds: round(sendSeconds, 3),
      expected,
      delivered,
      delivered_within_drain: inDrain,
      drain_seconds: drain,
      all_in_seconds: round((now() - t0) / 1000, 2),
      lost: expected - delivered,
      duplicates,
      acks,
      ack_latency: stats(ackLatencies),
      closed_during: members.filter((m) => m.closed).length - connect.closed,
      connect,
      latency: stats(latencies),
      server_cpu_s: cpu0 === null ? null : round(cpu1 - cpu0, 3),
      server_cpu_pct: cpu0 === null ? null : round(((cpu1 - cpu0) / windowSeconds) * 100, 1),
      server_runqueue_wait_pct: wait0 === null ? null : round(((wait1 - wait0) / windowSeconds) * 100, 1),
      server_cpu_ms_per_message: cpu0 === null ? null : round(((cpu1 - cpu0) / Math.max(1, sent)) * 1000, 2),
      loadgen_cpu_pct: lg()
    }
    await closeAll(members)
    return result
  },

  async resume () {
    const count = num('count', 1000)
    const rounds = num('rounds', 1)
    let lastId = 0
    const acked = new Map() // ref -> event id
    let refused = null
    const onPoster = (_m, data) => {
      const m = JSON.parse(data.toString())
      if (m.type === 'ack' && m.ref) acked.set(m.ref, m.event_id)
      else if (m.type === 'error') refused = `${m.code} ${m.message}`
    }
    const onResumer = (_m, data) => {
      const m = JSON.parse(data.toString())
      if (typeof m.id === 'number') lastId = Math.max(lastId, m.id)
    }
    const poster = await new Member(1, onPoster).open()
    const resumer = await new Member(2, onResumer).open()
    lastId = resumer.welcome.last_event_id
    const results = []
    for (let r = 0; r < rounds; r++) {
      await resumer.close()
      const since = lastId
      acked.clear()
      const t0 = now()
      let sent = 0
      while (acked.size < count && !refused && now() - t0 < 120000) {
        while (sent < count && sent - acked.size < 64) poster.send({ type: 'post', ref: `r${r}-${sent}`, body: `missed ${r}.${sent++}` })
        await sleep(1)
      }
      const postSeconds = (now() - t0) / 1000
      if (acked.size < count) throw new Error(`${acked.size} of ${count} posts acknowledged; ${refused}`)
      const ids = [...acked.values()]
      const first = Math.min(...ids)
      const last = Math.max(...ids)
      await sleep(200)
      // back: every event after `since` must arrive, once each, in order
      const seen = new Set()
      let duplicates = 0
      let outOfOrder = 0
      let previous = since
      let doneAt = 0
      resumer.onFrame = (_m, data) => {
        const m = JSON.parse(data.toString())
        if (typeof m.id !== 'number') return
        if (seen.has(m.id)) duplicates++
        if (m.id < previous) outOfOrder++
        previous = m.id
        seen.add(m.id)
        lastId = Math.max(lastId, m.id)
        if (!doneAt && m.id >= last && seen.size >= last - since) doneAt = now()
      }
      await phase(`resume${r}`)
      await resumer.open(30000, since)
      const wait = now() + 10000
      while (!doneAt && now() < wait) await sleep(1)
      phaseEnd(`resume${r}`)
      let missing = 0
      for (let id = since + 1; id <= last; id++) if (!seen.has(id)) missing++
      results.push({
        round: r,
        since,
        events_missed: last - since,
        posted: count,
        first_posted_id: first,
        received: seen.size,
        missing,
        duplicates,
        out_of_order: outOfOrder,
        post_seconds: round(postSeconds, 3),
        connect_to_all_ms: doneAt ? round(doneAt - resumer.startedAt) : null,
        open_to_all_ms: doneAt ? round(doneAt - resumer.openedAt) : null,
        open_to_welcome_ms: round(resumer.welcomedAt - resumer.openedAt)
      })
      resumer.onFrame = onResumer
    }
    await closeAll([poster, resumer])
    return { rounds: results }
  }
}

if (!scenarios[scenario]) {
  log(`unknown scenario ${scenario}; one of ${Object.keys(scenarios).join(', ')}`)
  process.exit(2)
}
const hardTimeout = setTimeout(() => { log('crowd: hard timeout'); process.exit(3) }, num('hard-timeout', 600) * 1000)
hardTimeout.unref()
try {
  const result = await scenarios[scenario]()
  process.stdout.write(JSON.stringify({ scenario, ...result }) + '\n')
  process.exit(0)
} catch (err) {
  process.stdout.write(JSON.stringify({ scenario, error: String((err && err.stack) || err) }) + '\n')
  process.exit(1)
}
