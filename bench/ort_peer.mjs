// ONNX Runtime (npm onnxruntime-node, the peer) timing one model on the
// seeded input compare_ort.mjs describes, in a process of its own so that
// its peak RSS is its own (plus Node.js's, which compare_ort.mjs measures
// alone and prints beside it). Prints one JSON line.
// Usage: node bench/ort_peer.mjs ORT_DIR MODEL.onnx NAME=D0,D1,...[+NAME2=...] RUNS THREADS
// Float inputs get the seeded sequence in turn, integer ones (token ids)
// zeros, as lathe-bench-runtime gives them.
import path from 'node:path';
import { createRequire } from 'node:module';
import { seededInput } from './seeded_input.mjs';

const [ortDir, model, shapeSpec, runsText, threadsText] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const ort = require(path.join(path.resolve(ortDir), 'node_modules', 'onnxruntime-node'));
const runs = Number(runsText), threads = Number(threadsText);

const loadStart = process.hrtime.bigint();
const session = await ort.InferenceSession.create(model, {
  intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
const loadMs = Number(process.hrtime.bigint() - loadStart) / 1e6;
const types = Object.fromEntries(session.inputMetadata.map((m) => [m.name, m.type]));
const feeds = {};
let seed = 1;
for (const spec of shapeSpec.split('+')) {
  const [name, dimsText] = spec.split('=');
  const dims = dimsText.split(',').map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  if (types[name] === 'int64') {
    feeds[name] = new ort.Tensor('int64', new BigInt64Array(count), dims);
  } else if (types[name] === 'int32') {
    feeds[name] = new ort.Tensor('int32', new Int32Array(count), dims);
  } else {
    const values = seededInput(dims, seed);
    seed = values.seed;
    feeds[name] = new ort.Tensor('float32', values, dims);
  }
}
for (let i = 0; i < 3; ++i) await session.run(feeds);
const times = [];
for (let i = 0; i < runs; ++i) {
  const start = process.hrtime.bigint();
  await session.run(feeds);
  times.push(Number(process.hrtime.bigint() - start) / 1e6);
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({ p50_ms: times[Math.floor(times.length / 2)], load_ms: loadMs,
                             peak_rss_mib: process.resourceUsage().maxRSS / 1024 }));
