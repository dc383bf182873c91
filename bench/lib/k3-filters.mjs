// K3 routing fixtures: N filters (80% exact, 10% with `+`, 10% with `#`), a topic for each that
// matches it and no other filter, the filter a message number goes to, and the two app-side
// matchers MQTT.js users write: a loop over the filters, and a trie.

/** The K3 filters for `n` (1 -> one exact filter; 100 -> 80 exact, 10 `+`, 10 `#`). */
export function k3Filters(n) {
  const wild = Math.floor(n / 10);
  const exact = n - 2 * wild;
  const filters = new Array(n);
  const topics = new Array(n);
  for (let i = 0; i < n; i++) {
    if (i < exact) filters[i] = topics[i] = `k3/e/${i}`;
    else if (i < exact + wild) [filters[i], topics[i]] = [`k3/p/${i}/+`, `k3/p/${i}/x`];
    else [filters[i], topics[i]] = [`k3/h/${i}/#`, `k3/h/${i}/x/y`];
  }
  return { filters, topics };
}

/** The filter index message `seq` is published for: a prime stride, so consecutive messages hit scattered filters. */
export const k3FilterOf = (seq, n) => (seq * 7919) % n;

/** MQTT topic matching of pre-split `filter` levels against pre-split `topic` levels [MQTT-4.7]. */
export function matches(filter, topic) {
  // [MQTT-4.7.2-1] a filter starting with a wildcard does not match a topic starting with `$`
  if ((filter[0] === '#' || filter[0] === '+') && topic[0].startsWith('$')) return false;
  for (let i = 0; i < filter.length; i++) {
    const level = filter[i];
    if (level === '#') return true; // also matches the parent level: `a/#` matches `a`
    if (i >= topic.length) return false;
    if (level !== '+' && level !== topic[i]) return false;
  }
  return filter.length === topic.length;
}

/** The naive app-side router: every message is tested against every filter. */
export function naiveRouter(filters, deliver) {
  const split = filters.map((f) => f.split('/'));
  return (topic, payload) => {
    const levels = topic.split('/');
    for (let i = 0; i < split.length; i++) if (matches(split[i], levels)) deliver(i, payload);
  };
}

/** A topic trie: one node per level, with `+` and `#` children; values are filter indexes. */
export function trieRouter(filters, deliver) {
  const node = () => ({ children: new Map(), values: [], hash: [] });
  const root = node();
  filters.forEach((filter, index) => {
    let at = root;
    for (const level of filter.split('/')) {
      if (level === '#') {
        at.hash.push(index);
        return;
      }
      let next = at.children.get(level);
      if (!next) at.children.set(level, (next = node()));
      at = next;
    }
    at.values.push(index);
  });
  const walk = (at, levels, i, payload) => {
    // `#` matches this level and everything below, including the parent itself, but not `$` topics at the root
    if (at.hash.length && !(i === 0 && levels[0].startsWith('$'))) for (const v of at.hash) deliver(v, payload);
    if (i === levels.length) {
      for (const v of at.values) deliver(v, payload);
      return;
    }
    const exact = at.children.get(levels[i]);
    if (exact) walk(exact, levels, i + 1, payload);
    const plus = at.children.get('+');
    if (plus && !(i === 0 && levels[0].startsWith('$'))) walk(plus, levels, i + 1, payload);
  };
  return (topic, payload) => walk(root, topic.split('/'), 0, payload);
}
