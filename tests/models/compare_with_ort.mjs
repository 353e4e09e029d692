// Compiles an ONNX model with lathe, runs it with `lathe run` on seeded
// random inputs, runs ONNX Runtime (npm onnxruntime-node, the reference) on
// the same inputs, and compares every output:
//   max |lathe - ort| <= tolerance * max |ort|.
// Usage: node compare_with_ort.mjs --lathe BIN --ort DIR --model M.onnx
//          --input-shape x=1,3,48,192 [--input-shape y=...]... [--target cpu]
//          [--tolerance 1e-4] [--seed 1]
//          [--input-range LO,HI]  (float inputs uniform in [LO, HI), default -1,1)
//          [--int-range LO,HI]    (integer inputs, e.g. token ids, uniform in [LO, HI),
//                                  default 0,2; each input's type is the model's)
//          [--input-npy FILE]     (instead: the input read from a float32 .npy of that
//                                  shape, e.g. a page from make_text_page.py)
//          [--max-arena-ratio R]  (also: arena_bytes <= R * arena_lower_bound_bytes)
//          [--max-abs-error E]    (instead of the relative bound: max |lathe - ort| <= E,
//                                  e.g. one quantization step of a quantized output)
//          [--compile-args "A B"] (more arguments for lathe compile, e.g. --quantize static)
//          [--quantize MODE]      (both run the model `lathe quantize --quantize MODE`
//                                  writes, e.g. dynamic or weights-int8, which need no
//                                  samples)
//          [--same-top-class 1]   (instead of the error bound: every row of every
//                                  output has the same largest entry, for classifiers)
//          [--run-with "CMD ARG..."]
//                                 (run the artifact with CMD instead of `lathe run`, e.g.
//                                  "qemu-aarch64 -L /usr/aarch64-linux-gnu lathe-run-runtime"
//                                  for one compiled with --host aarch64-linux-gnu)
//          [--threshold T --min-agreement F]
//                                 (instead of the error bound: at least a fraction F of
//                                  the outputs lie on the same side of T as ONNX
//                                  Runtime's, for maps a detector binarizes)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const args = {};
const inputShapes = [];
for (let i = 2; i < process.argv.length; i += 2) {
  const key = process.argv[i].replace(/^--/, '');
  if (key === 'input-shape') inputShapes.push(process.argv[i + 1]);
  args[key] = process.argv[i + 1];
}
const require = createRequire(import.meta.url);
const ort = require(path.join(path.resolve(args.ort), 'node_modules', 'onnxruntime-node'));
const tolerance = Number(args.tolerance ?? '1e-4');
const seed = Number(args.seed ?? '1');
const target = args.target ?? 'cpu';

// mulberry32: the same inputs on every run and machine.
function random(seedValue) {
  let a = seedValue >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function writeNpy(file, data, dims) {
  const descr = data instanceof BigInt64Array ? '<i8' : data instanceof Int32Array ? '<i4' : '<f4';
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims.join(', ')}${dims.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1; head[7] = 0; head.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer)]));
}

function readNpyFloat32(file) {
  const buf = fs.readFileSync(file);
  const headerLength = buf.readUInt16LE(8);
  const header = buf.toString('latin1', 10, 10 + headerLength);
  if (!header.includes("'<f4'")) throw new Error(`${file}: not float32`);
  const body = buf.subarray(10 + headerLength);
  return new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.length));
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lathe-ort-'));
try {
  if (args.quantize) {
    const quantized = path.join(work, 'model.qdq.onnx');
    execFileSync(args.lathe, ['quantize', args.model, '--quantize', args.quantize, '-o', quantized],
                 { stdio: 'inherit' });
    args.model = quantized;
  }
  // ONNX Runtime's full optimization turns DequantizeLinear -> MatMul into
  // its MatMulNBits with 8-bit activations (accuracy_level 4): a QDQ
  // model's reference is the ONNX ops' own arithmetic, which its basic level keeps.
  const session = await ort.InferenceSession.create(args.model, {
    intraOpNumThreads: 1, ...(args.quantize === 'weights-int8' ? { graphOptimizationLevel: 'basic' } : {}) });
  const typeOf = Object.fromEntries(session.inputMetadata.map((m) => [m.name, m.type]));
  const next = random(seed);
  const [lo, hi] = (args['input-range'] ?? '-1,1').split(',').map(Number);
  const [intLo, intHi] = (args['int-range'] ?? '0,2').split(',').map(Number);
  const feeds = {}, runInputs = [];
  for (const spec of inputShapes) {
    const [inputName, shapeText] = spec.split('=');
    const dims = shapeText ? shapeText.split(',').map(Number) : []; // '' : a scalar
    const count = dims.reduce((a, b) => a * b, 1);
    const type = typeOf[inputName] ?? 'float32';
    let input;
    if (type === 'int64') {
      input = new BigInt64Array(count).map(() => BigInt(Math.floor(intLo + next() * (intHi - intLo))));
    } else if (type === 'int32') {
      input = new Int32Array(count).map(() => Math.floor(intLo + next() * (intHi - intLo)));
    } else {
      input = args['input-npy'] ? readNpyFloat32(args['input-npy'])
                                : new Float32Array(count).map(() => lo + next() * (hi - lo));
    }
    if (input.length !== count) throw new Error(`${args['input-npy']}: ${input.length} values, the shape has ${count}`);
    const inputFile = path.join(work, `input_${runInputs.length}.npy`);
    writeNpy(inputFile, input, dims);
    feeds[inputName] = new ort.Tensor(type, input, dims);
    runInputs.push('--input', `${inputName}=${inputFile}`);
  }

  const artifact = path.join(work, 'model.lathe');
  const statsFile = path.join(work, 'stats.json');
  const extra = args['compile-args'] ? args['compile-args'].split(' ').filter((a) => a) : [];
  execFileSync(args.lathe, ['compile', args.model, '--target', target, ...inputShapes.flatMap((a) => ['--input-shape', a]), '-o', artifact,
                            '--stats', statsFile, ...extra], { stdio: 'inherit' });
  let arenaOk = true;
  if (args['max-arena-ratio']) {
    const stats = JSON.parse(fs.readFileSync(statsFile, 'utf8'));
    const ratio = stats.arena_bytes / stats.arena_lower_bound_bytes;
    arenaOk = ratio <= Number(args['max-arena-ratio']);
    console.log(`${path.basename(args.model)} arena ${stats.arena_bytes} bytes, lower bound ${stats.arena_lower_bound_bytes}: ` +
                `ratio ${ratio.toFixed(3)} (at most ${args['max-arena-ratio']}): ${arenaOk ? 'ok' : 'TOO LARGE'}`);
  }
  const outDir = path.join(work, 'out');
  const [runner, ...runnerArgs] = args['run-with'] ? args['run-with'].split(' ').filter((a) => a)
                                                   : [args.lathe, 'run'];
  execFileSync(runner, [...runnerArgs, artifact, ...runInputs, '--output-dir', outDir], { stdio: 'inherit' });
  const names = JSON.parse(fs.readFileSync(path.join(outDir, 'outputs.json'), 'utf8'));

  const results = await session.run(feeds);
  let ok = true;
  for (const [index, name] of Object.entries(names)) {
    const expected = results[name].data;
    const actual = readNpyFloat32(path.join(outDir, `output_${index}.npy`));
    if (actual.length !== expected.length) {
      console.log(`${name}: ${actual.length} elements, ONNX Runtime gives ${expected.length}`);
      ok = false;
      continue;
    }
    let maxErr = 0, maxRef = 0;
    for (let i = 0; i < expected.length; ++i) {
      maxErr = Math.max(maxErr, Math.abs(actual[i] - expected[i]));
      maxRef = Math.max(maxRef, Math.abs(expected[i]));
      if (Number.isNaN(actual[i]) !== Number.isNaN(expected[i])) maxErr = Infinity;
    }
    if (args['same-top-class']) {
      // The class each row of the last axis picks.
      const width = results[name].dims[results[name].dims.length - 1];
      let differ = 0;
      for (let row = 0; row < expected.length / width; ++row) {
        let a = 0, e = 0;
        for (let j = 1; j < width; ++j) {
          if (actual[row * width + j] > actual[row * width + a]) a = j;
          if (expected[row * width + j] > expected[row * width + e]) e = j;
        }
        differ += a !== e;
      }
      ok &&= differ === 0;
      console.log(`${path.basename(args.model)} ${name}: top class differs in ${differ} of ${expected.length / width} rows ` +
                  `(max abs error ${maxErr.toExponential(3)}): ${differ === 0 ? 'ok' : 'MISMATCH'}`);
      continue;
    }
    if (args.threshold) {
      const threshold = Number(args.threshold), wanted = Number(args['min-agreement']);
      let differ = 0;
      for (let i = 0; i < expected.length; ++i) differ += (actual[i] > threshold) !== (expected[i] > threshold);
      const agreement = 1 - differ / expected.length;
      const pass = agreement >= wanted;
      ok &&= pass;
      console.log(`${path.basename(args.model)} ${name}: ${differ} of ${expected.length} outputs on the other side of ` +
                  `${threshold}, agreement ${agreement.toFixed(6)} (at least ${wanted}; max abs error ` +
                  `${maxErr.toExponential(3)}, max |ref| ${maxRef.toExponential(3)}): ${pass ? 'ok' : 'MISMATCH'}`);
      continue;
    }
    const bound = args['max-abs-error'] ? Number(args['max-abs-error']) : tolerance * maxRef;
    const pass = maxErr <= bound;
    ok &&= pass;
    console.log(`${path.basename(args.model)} ${name}: max abs error ${maxErr.toExponential(3)}, ` +
                `bound ${bound.toExponential(3)} (${args['max-abs-error'] ? 'absolute' : `${tolerance} x`} ` +
                `max |ref| ${maxRef.toExponential(3)}): ${pass ? 'ok' : 'MISMATCH'}`);
  }
  ok &&= arenaOk;
  console.log(ok ? '1 passed, 0 failed' : '0 passed, 1 failed');
  process.exitCode = ok ? 0 : 1;
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
