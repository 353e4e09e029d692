// Benchmarks lathe against ONNX Runtime (npm onnxruntime-node, the peer) on
// the same model, inputs and thread count, in one run, and prints the
// latency ratio (lathe p50 / ONNX Runtime p50; below 1 means lathe is faster)
// and the peak RSS of each: lathe's from lathe-bench-runtime (the runtime
// alone, as an application linking it pays), ONNX Runtime's from a Node.js
// process of its own (ort_peer.mjs; Node.js's own share, an empty script's
// peak, is printed in the table's heading).
// Usage: node bench/compare_ort.mjs --lathe BIN --bench-runtime BIN --ort DIR --runs N --threads T
//          [--unoptimized-too yes] MODEL.onnx:NAME=D0,D1,...[+NAME2=...] [MODEL.onnx:NAME=...]...
// (a model of several inputs gets each one's shape, joined by '+'; integer
// inputs such as token ids are zeros for both). A third field,
// MODEL.onnx:SHAPES:kv-cache=N, benchmarks a decoder's past/present export
// with lathe's cache in the session: lathe compiles it with --kv-cache N and
// the first shape alone (the ids; the pasts are the session's) and runs it
// with the cache full up to its last position, ONNX Runtime gets every shape
// (pasts of N - 1 positions, say) and its cache as inputs. The third field
// may also hold quantize=MODE (joined to kv-cache=N by a comma): the model
// is first quantized by `lathe quantize --quantize MODE` (weights-int8: int8
// weights behind DequantizeLinear), lathe and ONNX Runtime both run that
// QDQ model, and lathe also runs the float model in the same run: the row
// gives lathe's quantized p50 over its float one.
// With --unoptimized-too, each model is also compiled with --no-fusion and
// --no-layout and timed in the same run (the effect of lathe's fusion and
// layout passes). With --peak-gflops P (one core's fp32 FMA peak,
// bench/fma_peak.c), the table also gives the rate of each model's
// convolutions and matmuls (conv_matmul_flops of lathe compile --stats,
// counted as direct convolutions) in lathe's time and its share of P times
// the threads used.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const opts = { runs: '50', threads: '1' };
const models = [];
for (let i = 2; i < process.argv.length; ++i) {
  const a = process.argv[i];
  if (a.startsWith('--')) opts[a.slice(2)] = process.argv[++i];
  else models.push(a);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const runs = opts.runs, threads = opts.threads;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lathe-bench-'));
const rows = [];
const nodeAlone = JSON.parse(execFileSync(process.execPath,
  ['-e', 'console.log(JSON.stringify(process.resourceUsage().maxRSS / 1024))'], { encoding: 'utf8' }));
try {
  for (const spec of models) {
    const [floatModel, shapeSpec, latheSpec] = spec.split(':');
    const shapes = shapeSpec.split('+');
    const options = {};
    for (const option of latheSpec ? latheSpec.split(',') : []) {
      const [key, value] = option.split('=');
      if (!['kv-cache', 'quantize'].includes(key) || !value)
        throw new Error(`${spec}: expected MODEL:SHAPES[:kv-cache=N][,quantize=MODE]`);
      options[key] = value;
    }
    const cache = options['kv-cache'];
    let model = floatModel;
    if (options.quantize) {
      model = path.join(work, 'model.qdq.onnx');
      execFileSync(opts.lathe, ['quantize', floatModel, '--quantize', options.quantize, '-o', model]);
    }
    const latheShapes = cache ? shapes.slice(0, 1) : shapes;
    const dimsText = shapes.map((s) => shapes.length > 1 ? s : s.split('=')[1]).join(' ') +
                     (cache ? ` (lathe: cache of ${cache} in the session)` : '');
    const stats = path.join(work, 'stats.json');
    const benchLathe = (flags, source = model) => {
      const artifact = path.join(work, 'model.lathe');
      execFileSync(opts.lathe, ['compile', source, ...latheShapes.flatMap((s) => ['--input-shape', s]),
                                ...(cache ? ['--kv-cache', cache] : []), '-o', artifact,
                                '--stats', stats, ...flags]);
      return JSON.parse(execFileSync(opts['bench-runtime'], [artifact, '--runs', runs, '--threads', threads,
                                                              '--json'], { encoding: 'utf8' }));
    };
    const lathe = benchLathe([]);
    const flops = JSON.parse(fs.readFileSync(stats, 'utf8')).conv_matmul_flops;
    const unfused = opts['unoptimized-too'] ? benchLathe(['--no-fusion', '--no-layout']) : null;
    const float = options.quantize ? benchLathe([], floatModel) : null;
    const quantized = float ? `; ${options.quantize}: lathe p50 ${(lathe.p50_ms / float.p50_ms).toFixed(2)}x ` +
                              `its fp32 ${float.p50_ms.toFixed(2)} ms` : '';
    const ort = JSON.parse(execFileSync(process.execPath, [path.join(here, 'ort_peer.mjs'), opts.ort, model,
                                                           shapeSpec, runs, threads], { encoding: 'utf8' }));
    rows.push({ model: path.basename(floatModel), shape: dimsText + quantized, threads, lathe, unfused, ort,
                flops });
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
const extra = opts['unoptimized-too'] ? ' lathe --no-fusion --no-layout p50 ms |' : '';
const peak = Number(opts['peak-gflops'] || 0);
const rate = peak ? ` conv+matmul GFLOP/s (share of ${peak.toFixed(0)} per thread) |` : '';
console.log(`| model | input | threads (lathe used) | lathe p50 ms |${extra} ONNX Runtime p50 ms | lathe / ORT |` +
            ` lathe peak RSS MiB | ORT peak RSS MiB (Node.js alone ${nodeAlone.toFixed(0)}) | RSS ratio |${rate}`);
console.log(`| --- | --- | --- | --- |${extra ? ' --- |' : ''} --- | --- | --- | --- | --- |${rate ? ' --- |' : ''}`);
for (const r of rows)
  console.log(`| ${r.model} | ${r.shape} | ${r.threads} (${r.lathe.threads_used}) | ${r.lathe.p50_ms.toFixed(2)} | ` +
              (extra ? `${r.unfused.p50_ms.toFixed(2)} | ` : '') +
              `${r.ort.p50_ms.toFixed(2)} | ${(r.lathe.p50_ms / r.ort.p50_ms).toFixed(2)} | ` +
              `${r.lathe.peak_rss_mib.toFixed(1)} | ${r.ort.peak_rss_mib.toFixed(1)} | ` +
              `${(r.lathe.peak_rss_mib / r.ort.peak_rss_mib).toFixed(2)} |` +
              (peak ? ` ${(r.flops / r.lathe.p50_ms / 1e6).toFixed(0)} ` +
                      `(${(r.flops / r.lathe.p50_ms / 1e6 / (peak * r.lathe.threads_used) * 100).toFixed(0)}%) |`
                    : ''));
