// Benchmarks lathe against ONNX Runtime (npm onnxruntime-node, the peer) on
// the same model, inputs and thread count, in one run, and prints the
// latency ratio (lathe p50 / ONNX Runtime p50; below 1 means lathe is faster).
// Usage: node bench/compare_ort.mjs --lathe BIN --ort DIR --runs N --threads T
//          [--unoptimized-too yes] MODEL.onnx:NAME=D0,D1,... [MODEL.onnx:NAME=...]...
// With --unoptimized-too, each model is also compiled with --no-fusion and
// --no-layout and timed in the same run (the effect of lathe's fusion and
// layout passes).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const opts = { runs: '50', threads: '1' };
const models = [];
for (let i = 2; i < process.argv.length; ++i) {
  const a = process.argv[i];
  if (a.startsWith('--')) opts[a.slice(2)] = process.argv[++i];
  else models.push(a);
}
const require = createRequire(import.meta.url);
const ort = require(path.join(path.resolve(opts.ort), 'node_modules', 'onnxruntime-node'));
const runs = Number(opts.runs), threads = Number(opts.threads);

function writeNpy(file, data, dims) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims.join(', ')},), }`;
  header += ' '.repeat((64 - ((11 + header.length) % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1; head.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer)]));
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lathe-bench-'));
const rows = [];
try {
  for (const spec of models) {
    const [model, shapeSpec] = spec.split(':');
    const [name, dimsText] = shapeSpec.split('=');
    const dims = dimsText.split(',').map(Number);
    let seed = 1;
    const input = new Float32Array(dims.reduce((a, b) => a * b, 1)).map(() => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return (seed >>> 8) / 16777216 * 2 - 1;
    });
    const inputFile = path.join(work, 'input.npy');
    writeNpy(inputFile, input, dims);
    const benchLathe = (flags) => {
      const artifact = path.join(work, 'model.lathe');
      execFileSync(opts.lathe, ['compile', model, '--input-shape', shapeSpec, '-o', artifact, ...flags]);
      return JSON.parse(execFileSync(opts.lathe, ['bench', artifact, '--input', `${name}=${inputFile}`,
        '--runs', String(runs), '--threads', String(threads), '--json'], { encoding: 'utf8' }));
    };
    const lathe = benchLathe([]);
    const unfused = opts['unoptimized-too'] ? benchLathe(['--no-fusion', '--no-layout']) : null;

    const session = await ort.InferenceSession.create(model, {
      intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    const feeds = { [name]: new ort.Tensor('float32', input, dims) };
    for (let i = 0; i < 3; ++i) await session.run(feeds);
    const times = [];
    for (let i = 0; i < runs; ++i) {
      const start = process.hrtime.bigint();
      await session.run(feeds);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    times.sort((a, b) => a - b);
    const ortP50 = times[Math.floor(times.length / 2)];
    rows.push({ model: path.basename(model), shape: dimsText, threads, lathe: lathe.p50_ms,
                latheThreads: lathe.threads_used, ort: ortP50, ratio: lathe.p50_ms / ortP50,
                unfused: unfused?.p50_ms });
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
const extra = opts['unoptimized-too'] ? ' lathe --no-fusion --no-layout p50 ms |' : '';
console.log(`| model | input | threads (lathe used) | lathe p50 ms |${extra} ONNX Runtime p50 ms | lathe / ORT |`);
console.log(`| --- | --- | --- | --- |${extra ? ' --- |' : ''} --- | --- |`);
for (const r of rows)
  console.log(`| ${r.model} | ${r.shape} | ${r.threads} (${r.latheThreads}) | ${r.lathe.toFixed(2)} | ` +
              (extra ? `${r.unfused.toFixed(2)} | ` : '') + `${r.ort.toFixed(2)} | ${r.ratio.toFixed(2)} |`);
