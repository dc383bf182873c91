// Order statistics over repetitions.
export function median(values) {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export const min = (values) => (values.length ? Math.min(...values) : NaN);
export const max = (values) => (values.length ? Math.max(...values) : NaN);

export function summary(values) {
  return { n: values.length, median: median(values), min: min(values), max: max(values) };
}
