/**
 * A check of protobuf framing that protobufjs skips: it reads a string or bytes field whose
 * declared length runs past the end of the buffer without complaint, so a `.pb` or `.onnx`
 * file cut short by a byte or two would decode "successfully". Walking the top-level fields
 * and checking each one ends inside the file catches every truncation (the cut always falls
 * in the last top-level field or its length prefix).
 */
import { UserError } from '../core/errors.js';

function varint(b: Uint8Array, o: number, where: string): [number, number] {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (o + i >= b.length)
      throw new UserError(`${where}: truncated protobuf (a varint at byte ${o} runs past the end)`);
    const x = b[o + i]!;
    v += (x & 0x7f) * mul;
    mul *= 128;
    if ((x & 0x80) === 0) return [v, o + i + 1];
  }
  throw new UserError(`${where}: malformed protobuf (varint at byte ${o} longer than 10 bytes)`);
}

/** Throws {@link UserError} unless every top-level field of `b` lies inside it. */
export function checkProtobufFraming(b: Uint8Array, where: string): void {
  let o = 0;
  while (o < b.length) {
    const [tag, next] = varint(b, o, where);
    const wire = tag % 8;
    const field = Math.floor(tag / 8);
    if (field === 0) throw new UserError(`${where}: malformed protobuf (field number 0 at byte ${o})`);
    let end: number;
    if (wire === 0) end = varint(b, next, where)[1];
    else if (wire === 1) end = next + 8;
    else if (wire === 5) end = next + 4;
    else if (wire === 2) {
      const [len, start] = varint(b, next, where);
      end = start + len;
    } else throw new UserError(`${where}: malformed protobuf (wire type ${wire} of field ${field} at byte ${o})`);
    if (end > b.length)
      throw new UserError(
        `${where}: truncated protobuf (field ${field} at byte ${o} needs ${end - b.length} more bytes than the file has)`,
      );
    o = end;
  }
}
