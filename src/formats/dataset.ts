/**
 * The accuracy files' types: the dataset encoding (how a dataset is quantized and committed for
 * a model, recorded in circuit.json, chunk keys and claims) and the dataset commitment and
 * opening files that `zkinfer dataset commit` writes (src/accuracy/dataset-commitment.ts).
 */

/**
 * What the commitment depends on besides the data: the model's input quantization and class
 * count. A type alias, not an interface, so that it fits the `Record<string, unknown>` the
 * circuit.json schema checks `accuracy.encoding` as.
 */
export type DatasetEncoding = {
  readonly inputSize: number;
  readonly classes: number;
  readonly input: { readonly frac: number; readonly lo: number; readonly hi: number };
  readonly inputCommitment: { readonly bits: number; readonly offset: string };
  readonly labelCommitment: { readonly bits: number; readonly offset: string };
  /** The quantized value of every padding input. */
  readonly padValue: number;
};

/** The public commitment file. */
export interface DatasetCommitmentFile {
  readonly format: 'zkinfer-dataset-commitment';
  readonly formatVersion: 1;
  readonly commitment: string;
  readonly samples: number;
  readonly chunkSize: number;
  readonly chunkCommitments: string[];
  readonly encoding: DatasetEncoding;
  readonly source: { readonly file: string };
  readonly tool: { readonly name: 'zkinfer'; readonly version: string };
  readonly createdAt: string;
}

/** The private opening file: keep it with the data, never publish it. */
export interface DatasetOpeningFile {
  readonly format: 'zkinfer-dataset-opening';
  readonly formatVersion: 1;
  readonly commitment: string;
  readonly blinding: string;
  /** The chunk size the commitment was made with (`zkinfer accuracy` defaults to it). */
  readonly chunkSize?: number;
}
