/**
 * "Did you mean …?" for a misspelled name (a config key, a command, a field): the closest of the
 * known names by edit distance, when it is close enough to be the likely intent. Commander has
 * the same logic for commands and flags but does not export it.
 */

/** Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps each cost 1. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_r, i) =>
    Array.from({ length: b.length + 1 }, (_c, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  return d[a.length]![b.length]!;
}

/**
 * The known name `word` most likely stands for (case-insensitive edit distance at most 2, and less than
 * 40 % of the name's length), or undefined when none is close.
 */
export function closestName(word: string, known: readonly string[]): string | undefined {
  let best: { name: string; dist: number } | undefined;
  for (const name of known) {
    const dist = editDistance(word.toLowerCase(), name.toLowerCase());
    if (dist <= 2 && dist < 0.4 * Math.max(word.length, name.length) && (!best || dist < best.dist))
      best = { name, dist };
  }
  return best?.name;
}

/** `"; did you mean X?"` for {@link closestName}, or an empty string. */
export function didYouMean(word: string, known: readonly string[]): string {
  const m = closestName(word, known);
  return m === undefined ? '' : `; did you mean ${m}?`;
}
