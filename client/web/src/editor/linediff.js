// A line diff (longest common subsequence over the lines, after trimming the common head and
// tail) and the authorship of lines across a run of versions. Pure functions, no DOM.

/** Splits a text into lines that keep their line ends (so "a\n" and "a" differ, as in diff). */
export function lines(text) {
  return String(text ?? "").match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/**
 * Edit script from `a` to `b` (arrays of strings): a list of
 * {op: "equal"|"delete"|"insert", a?: index in a, b?: index in b, line}.
 */
export function diffLines(a, b) {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const n = a.length - head - tail;
  const m = b.length - head - tail;
  // lcs[i][j]: the LCS length of a[head+i..] and b[head+j..], one flat array
  const width = m + 1;
  const lcs = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] =
        a[head + i] === b[head + j]
          ? lcs[(i + 1) * width + j + 1] + 1
          : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
    }
  }
  const script = [];
  for (let k = 0; k < head; k++) script.push({ op: "equal", a: k, b: k, line: a[k] });
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[head + i] === b[head + j]) {
      script.push({ op: "equal", a: head + i, b: head + j, line: a[head + i] });
      i++;
      j++;
    } else if (j < m && (i === n || lcs[i * width + j + 1] >= lcs[(i + 1) * width + j])) {
      script.push({ op: "insert", b: head + j, line: b[head + j] });
      j++;
    } else {
      script.push({ op: "delete", a: head + i, line: a[head + i] });
      i++;
    }
  }
  for (let k = 0; k < tail; k++) {
    script.push({ op: "equal", a: a.length - tail + k, b: b.length - tail + k, line: a[a.length - tail + k] });
  }
  return script;
}

/**
 * The diff from the first to the last of `versions` ([{text, author}], oldest first), each
 * inserted line with the author of the version that wrote it, each deleted line with the
 * author of the version that removed it. Returns the edit script with `author` on changes.
 */
export function attributedDiff(versions) {
  const first = lines(versions[0].text);
  // the lines of the current step, each {line, author, origin: index in `first` or null}
  let tracked = first.map((line, index) => ({ line, author: null, origin: index }));
  const deletedBy = new Map();
  for (const version of versions.slice(1)) {
    const next = lines(version.text);
    const step = diffLines(
      tracked.map((entry) => entry.line),
      next,
    );
    const moved = [];
    for (const change of step) {
      if (change.op === "equal") moved.push(tracked[change.a]);
      else if (change.op === "insert") moved.push({ line: change.line, author: version.author, origin: null });
      else if (tracked[change.a].origin !== null) deletedBy.set(tracked[change.a].origin, version.author);
    }
    tracked = moved;
  }
  const last = lines(versions[versions.length - 1].text);
  return diffLines(first, last).map((change) => {
    if (change.op === "insert") return { ...change, author: tracked[change.b]?.author ?? null };
    if (change.op === "delete") return { ...change, author: deletedBy.get(change.a) ?? null };
    return change;
  });
}
