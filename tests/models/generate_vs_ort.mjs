// Greedy decoding, lathe against ONNX Runtime: compiles a decoder's
// past/present key/value export with its cache in the session (--kv-cache,
// a prefill and a decode entry), runs `lathe generate`, and runs the same
// greedy loop over ONNX Runtime (npm onnxruntime-node, the reference) with
// the export's own cache: the prompt with empty pasts, then each new id
// with the presents fed back as pasts. The new ids must be the same, and
// what a decode run writes into lathe's caches (compile --stats) must be one
// position's keys and values per cache, and a decode entry's arena within
// 1.1x of its lower bound. With --quantize weights-int8 the decoder is first
// quantized by `lathe quantize` (int8 weights behind DequantizeLinear), and
// both run that QDQ model: lathe with its int8 panels, ONNX Runtime with
// its own dequantization; the artifact's constants must then be at most
// 0.35x those of the fp32 decoder's artifact (the embedding table, which a
// gather reads a row of per token, stays in float).
// Usage: node generate_vs_ort.mjs --lathe BIN --ort DIR --model M_kv.onnx
//          [--target cpu] [--quantize weights-int8] [--capacity 128] [--prefill 32] [--prompt-length 40]
//          [--new-tokens 64] [--vocabulary 1024] [--kv-heads 4] [--head-dim 64] [--seed 1]
//          [--min-distinct K]  (ONNX Runtime's ids hold at least K distinct ones: a
//                               decoder whose greedy ids do not merely repeat)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const require = createRequire(import.meta.url);
const ort = require(path.join(path.resolve(args.ort), 'node_modules', 'onnxruntime-node'));
const target = args.target ?? 'cpu';
const capacity = Number(args.capacity ?? 128);
const prefill = Number(args.prefill ?? 32);
const promptLength = Number(args['prompt-length'] ?? 40);
const newTokens = Number(args['new-tokens'] ?? 64);
const vocabulary = Number(args.vocabulary ?? 1024);

// mulberry32: the same prompt on every run and machine.
let state = Number(args.seed ?? 1) >>> 0;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const prompt = Array.from({ length: promptLength }, () => Math.floor(random() * vocabulary));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lathe-generate-'));
const artifact = path.join(dir, 'model.lathe');
const statsFile = path.join(dir, 'stats.json');
const compile = (model, out, stats) =>
  execFileSync(args.lathe, ['compile', model, '-o', out, '--target', target,
    '--kv-cache', String(capacity), '--entry', `prefill:input_ids=1,${prefill}`,
    '--entry', 'decode:input_ids=1,1', '--stats', stats], { stdio: 'inherit' });
let model = args.model;
if (args.quantize) {
  model = path.join(dir, 'model.qdq.onnx');
  execFileSync(args.lathe, ['quantize', args.model, '--quantize', args.quantize, '-o', model],
    { stdio: 'inherit' });
}
compile(model, artifact, statsFile);
const lathe = JSON.parse(execFileSync(args.lathe, ['generate', artifact, '--prompt-ids',
  prompt.join(','), '--max-new-tokens', String(newTokens), '--json']).toString());

// ONNX Runtime's full optimization turns DequantizeLinear -> MatMul into its
// MatMulNBits with 8-bit activations (accuracy_level 4), which moves the
// logits by ~1e-2: the reference for a QDQ model is the ONNX ops' own
// arithmetic, which its basic level keeps.
const session = await ort.InferenceSession.create(
  model, args.quantize ? { graphOptimizationLevel: 'basic' } : {});
const pasts = session.inputNames.filter((n) => n !== 'input_ids');
const presents = session.outputNames.filter((n) => n !== 'logits');
// The export's pasts are (batch, kv heads, length, head dim); the first
// run's have length 0.
const kvHeads = Number(args['kv-heads'] ?? 4);
const headDim = Number(args['head-dim'] ?? 64);
const emptyPast = () => new ort.Tensor('float32', new Float32Array(0), [1, kvHeads, 0, headDim]);

function argmaxLast(logits) {
  const [, length, vocab] = logits.dims;
  const row = logits.data.subarray((length - 1) * vocab, length * vocab);
  let best = 0;
  for (let v = 1; v < vocab; ++v) if (row[v] > row[best]) best = v;
  return best;
}
let feeds = {
  input_ids: new ort.Tensor('int64', BigInt64Array.from(prompt.map(BigInt)), [1, prompt.length]),
  ...Object.fromEntries(pasts.map((n) => [n, emptyPast()])),
};
const reference = [];
while (reference.length < newTokens) {
  const out = await session.run(feeds);
  const next = argmaxLast(out.logits);
  reference.push(next);
  feeds = { input_ids: new ort.Tensor('int64', BigInt64Array.from([BigInt(next)]), [1, 1]) };
  pasts.forEach((n, i) => { feeds[n] = out[presents[i]]; });
}

let failures = 0;
const distinct = new Set(reference).size;
if (distinct < Number(args['min-distinct'] ?? 1)) {
  console.error(`FAIL: ONNX Runtime's ${reference.length} ids hold ${distinct} distinct ones, ` +
                `fewer than --min-distinct ${args['min-distinct']}: the comparison would show little`);
  ++failures;
}
const same = lathe.ids.length === reference.length && lathe.ids.every((id, i) => id === reference[i]);
if (!same) {
  const at = lathe.ids.findIndex((id, i) => id !== reference[i]);
  console.error(`FAIL: lathe's ids differ from ONNX Runtime's from new token ${at}:\n` +
                `  lathe ${lathe.ids.join(' ')}\n  ort   ${reference.join(' ')}`);
  ++failures;
}
// One position of keys and values per cache, float32.
const stats = JSON.parse(fs.readFileSync(statsFile, 'utf8'));
const perPosition = pasts.length * kvHeads * headDim * 4;
const written = stats.kv_cache_write_bytes ?? {};
if (written.decode !== perPosition || written.prefill !== prefill * perPosition) {
  console.error(`FAIL: bytes written into the caches per run ${JSON.stringify(written)}; ` +
                `expected decode ${perPosition}, prefill ${prefill * perPosition}`);
  ++failures;
}
// Quantized weights: a quarter of the float bytes, and the scales.
if (args.quantize) {
  const floatStats = path.join(dir, 'fp32.json');
  compile(args.model, path.join(dir, 'fp32.lathe'), floatStats);
  const floatBytes = JSON.parse(fs.readFileSync(floatStats, 'utf8')).constant_bytes;
  const ratio = stats.constant_bytes / floatBytes;
  console.log(`constants: ${stats.constant_bytes} bytes, ${ratio.toFixed(3)}x the fp32 artifact's`);
  if (!(ratio <= 0.35)) {
    console.error(`FAIL: the ${args.quantize} artifact's constants are ${ratio.toFixed(3)}x ` +
                  `the fp32 one's (${stats.constant_bytes} / ${floatBytes}), above 0.35x`);
    ++failures;
  }
}
// The decode entry's session memory beyond its caches: its arena within
// 1.1x of the least any order of its buffers needs (lathe compile --stats).
const decodeStats = path.join(dir, 'decode.json');
execFileSync(args.lathe, ['compile', model, '-o', path.join(dir, 'decode.lathe'), '--target', target,
  '--kv-cache', String(capacity), '--entry', 'decode:input_ids=1,1', '--stats', decodeStats]);
const decode = JSON.parse(fs.readFileSync(decodeStats, 'utf8'));
if (decode.arena_bytes > 1.1 * decode.arena_lower_bound_bytes) {
  console.error(`FAIL: the decode entry's arena of ${decode.arena_bytes} bytes is above 1.1x its ` +
                `lower bound of ${decode.arena_lower_bound_bytes}`);
  ++failures;
}
fs.rmSync(dir, { recursive: true, force: true });
console.log(`${target}${args.quantize ? ` ${args.quantize}` : ''}: ${lathe.ids.length} new ids ${same ? 'match' : 'DIFFER from'} ONNX Runtime's ` +
            `(prompt ${prompt.length} ids, ${lathe.prompt_runs} prompt runs, cache ${capacity} positions); ` +
            `time to first token ${lathe.time_to_first_token_ms.toFixed(2)} ms, ` +
            `${lathe.decode_tokens_per_second.toFixed(1)} tokens/s after it`);
process.exit(failures ? 1 : 0);
