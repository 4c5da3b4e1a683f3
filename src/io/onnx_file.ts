/**
 * ONNX model files: a graph (util/onnx_graph.ts) encoded as ONNX's protobuf with onnx-proto (the
 * schema's generated code, protobufjs), and the metadata read back. IR version 8 and opset 17: what
 * onnxruntime (node, web) and ONNX 1.12's checker accept. No file access: the browser reads models too.
 */
import onnxProto from 'onnx-proto';
import type { OnnxAttribute, OnnxGraphSpec, OnnxTensorSpec, OnnxValueSpec } from '../util/onnx_graph.js';

const { onnx } = onnxProto;

export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;

export interface OnnxModelSpec {
  graph: OnnxGraphSpec;
  producerVersion: string;
  /** metadata_props: key -> string value. */
  metadata: Record<string, string>;
  docString?: string;
}

const DataType = onnx.TensorProto.DataType;
const AttrType = onnx.AttributeProto.AttributeType;

function attribute(name: string, value: OnnxAttribute, isFloat: boolean): onnxProto.onnx.IAttributeProto {
  if (typeof value === 'string') return { name, type: AttrType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return isFloat ? { name, type: AttrType.FLOATS, floats: value } : { name, type: AttrType.INTS, ints: value };
  return isFloat ? { name, type: AttrType.FLOAT, f: value } : { name, type: AttrType.INT, i: value };
}

function tensorProto(t: OnnxTensorSpec): onnxProto.onnx.ITensorProto {
  // raw_data is little-endian; typed arrays are in the host's order, little-endian on every platform Node and browsers run on
  return {
    name: t.name, dims: t.dims, dataType: { float32: DataType.FLOAT, float16: DataType.FLOAT16, int64: DataType.INT64 }[t.dataType],
    rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
  };
}

function valueInfo(v: OnnxValueSpec): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

/** The model file's bytes. */
export function encodeOnnxModel(m: OnnxModelSpec): Uint8Array {
  const g = m.graph;
  const model: onnxProto.onnx.IModelProto = {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'pspseg',
    producerVersion: m.producerVersion,
    docString: m.docString ?? '',
    graph: {
      name: g.name,
      node: g.nodes.map((n) => ({
        name: n.name, opType: n.op, input: n.inputs, output: n.outputs,
        attribute: Object.entries(n.attributes).map(([k, v]) => attribute(k, v, n.floatAttributes?.includes(k) ?? false)),
      })),
      initializer: g.initializers.map(tensorProto),
      input: g.inputs.map(valueInfo),
      output: g.outputs.map(valueInfo),
    },
    metadataProps: Object.entries(m.metadata).map(([key, value]) => ({ key, value })),
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

export interface OnnxModelSummary {
  producerName: string;
  producerVersion: string;
  opset: number | null;
  metadata: Record<string, string>;
  /** Operator types in the graph, sorted. */
  ops: string[];
  inputs: { name: string; dims: (number | string)[] }[];
}

/** What a model file says about itself; throws on bytes that are not an ONNX model (`name` labels the error). */
export function readOnnxModelSummary(bytes: Uint8Array, name: string): OnnxModelSummary {
  let model: onnxProto.onnx.ModelProto;
  try { model = onnx.ModelProto.decode(bytes); } catch (err) {
    throw new Error(`${name}: not an ONNX model file (${(err as Error).message})`, { cause: err });
  }
  if (!model.graph) throw new Error(`${name}: not an ONNX model file (no graph)`);
  const opset = model.opsetImport.find((o) => !o.domain)?.version;
  return {
    producerName: model.producerName, producerVersion: model.producerVersion,
    opset: opset === undefined || opset === null ? null : Number(opset),
    metadata: Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value])),
    ops: [...new Set((model.graph.node ?? []).map((n) => n.opType ?? ''))].sort(),
    inputs: (model.graph.input ?? []).map((i) => ({
      name: i.name ?? '',
      dims: i.type?.tensorType?.shape?.dim?.map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue))) ?? [],
    })),
  };
}
