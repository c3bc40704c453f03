/**
 * Test helpers for `verify --model` and hashed weights: a copy of an ONNX file with one weight (or all) changed, and a copy
 * of a settings.json with one recorded calibration decision changed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/**
 * Writes `out`: `path` with element 0 of its largest FLOAT initializer moved by a quarter of
 * that tensor's largest |weight| (far more than one quantization step at 8 bits).
 */
export function tweakOneWeight(path: string, out: string): void {
  const model = onnx.ModelProto.decode(readFileSync(path));
  const floats = model.graph!.initializer!.filter((t) => t.dataType === 1);
  const count = (t: onnxProto.onnx.ITensorProto) => (t.dims ?? []).reduce<number>((a, d) => a * Number(d), 1);
  const t = floats.reduce((a, b) => (count(b) > count(a) ? b : a));
  if (t.rawData && t.rawData.length) {
    const raw = Buffer.from(t.rawData);
    let max = 0;
    for (let i = 0; i < raw.length; i += 4) max = Math.max(max, Math.abs(raw.readFloatLE(i)));
    raw.writeFloatLE(raw.readFloatLE(0) + max / 4, 0);
    t.rawData = raw;
  } else {
    const data = t.floatData!;
    const max = data.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
    data[0] = data[0]! + max / 4;
  }
  writeFileSync(out, onnx.ModelProto.encode(model).finish());
}

/**
 * Writes `out`: the settings at `path` with one recorded decision changed: a table's output
 * scale one bit finer when the model has a table, else the input scale one bit coarser (which
 * keeps every op's structure, so the replay needs no decision that was not recorded). Returns which.
 */
export function tweakOneDecision(path: string, out: string): string {
  const s = JSON.parse(readFileSync(path, 'utf8')) as {
    quantization: { decisions: Record<string, Record<string, number | boolean>> };
  };
  const d = s.quantization.decisions;
  const table = Object.keys(d).find((k) => !k.startsWith('::input') && typeof d[k]!['frac'] === 'number');
  const key = table ?? '::input';
  (d[key]!['frac'] as number) += table ? 1 : -1;
  writeFileSync(out, JSON.stringify(s, null, 2));
  return `${key}.frac`;
}

/**
 * Writes `out`: `path` with every element k of every FLOAT initializer multiplied by
 * `factor(k)`: another model of the same architecture (same graph, other weights), trained by nobody.
 */
export function scaleWeights(path: string, out: string, factor: (k: number) => number): void {
  const model = onnx.ModelProto.decode(readFileSync(path));
  let k = 0;
  for (const t of model.graph!.initializer!.filter((i) => i.dataType === 1)) {
    if (t.rawData && t.rawData.length) {
      const raw = Buffer.from(t.rawData);
      for (let i = 0; i < raw.length; i += 4) raw.writeFloatLE(raw.readFloatLE(i) * factor(k++), i);
      t.rawData = raw;
    } else t.floatData = t.floatData!.map((v) => v * factor(k++));
  }
  writeFileSync(out, onnx.ModelProto.encode(model).finish());
}
