/** Hashing and canonical JSON: the byte strings model ids, key hashes and transcript hashes are taken over. */
import { createHash } from 'node:crypto';

/** sha256 hex of bytes. */
export function sha256Hex(...parts: Array<string | Uint8Array>): string {
  const h = createHash('sha256');
  // Hash.update refuses one input of 2 GiB or more ("data is too long"): a GAN-sized r1cs is larger.
  const slice = 2 ** 30;
  for (const p of parts) {
    if (typeof p === 'string' || p.length <= slice) h.update(p);
    else for (let o = 0; o < p.length; o += slice) h.update(p.subarray(o, o + slice));
  }
  return h.digest('hex');
}

/** JSON with object keys sorted at every level: a stable byte string to hash. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]]),
        )
      : v,
  );
}
