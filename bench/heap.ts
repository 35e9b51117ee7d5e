/**
 * `npm run bench:heap -- [file.hprof[.gz]] [--threads N] [--runs N] [--no-visualvm] [--objects N] [--payload-ints N] [--keep] [--hugepages]`
 *
 * Times Medic's heap-dump analyzer, compiled to JavaScript, in a child process (so peak RSS is the analysis alone) and, on the same file in the
 * same run, VisualVM's heap library (Debian package `visualvm`) driven headless by bench/heap/VisualVmHeap.java:
 * open, histogram, 20 biggest objects by retained size with their GC-root paths, retained size per class, system
 * properties (what Medic's report holds; suspects and duplicate strings have no VisualVM API). Without a file it makes a
 * ~150 MB dump from a real JVM (test/fixtures/java/heap/HeapShapes.java, the HashMap-leak shape) and deletes it after
 * (`--keep` keeps it in the OS temp dir and prints its path, for repeated runs). `--payload-ints N` gives each
 * payload an int[N] instead of int[4]: `--objects 1700000 --payload-ints 68` makes the issue's reference shape
 * (~146 MB of 1.7 M objects, 86 file bytes per object; the default shape has ~43, like the research's leak dumps).
 *
 * Per pass it prints wall and CPU seconds (all threads of the child) and how much fresh memory the analysis had taken
 * by then (first writes to new memory cost more than rewrites: ~0.4 ms per MB in order, ~2.5 ms per MB in random
 * order on the 2-core VM we measured). `--hugepages` runs the child with GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (glibc
 * ≥ 2.35 then asks for transparent huge pages for its big mappings, where THP is in `madvise` mode): an experiment,
 * not a recommendation: ~20% faster on a loaded VM once, no faster (first touches slower) on a quiet one.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
const VISUALVM_JAR = '/usr/share/visualvm/visualvm/modules/org-graalvm-visualvm-lib-jfluid-heap.jar';

interface ChildResult {
  seconds: Record<string, number>;
  /** Per pass: CPU seconds of the whole child, and fresh memory taken so far (bytes). */
  passes: Array<{ name: string; cpu: number; fresh: number }>;
  maxRssKb: number;
  /** User + system CPU of the child, all threads: a machine shared with other work inflates wall time, not this. */
  cpuSeconds: number;
  /** Wall time of the whole child process, Node start-up included (measured by the parent). */
  wall?: number;
  objects: number;
  suspect: string | null;
  topRetained: number;
}

/**
 * Compile the analyzer to JavaScript first, as `npm run build` would: the child then runs plain Node like
 * production, without tsx (whose loader would also have to start inside every worker thread).
 */
function buildAnalyzer(dir: string): string {
  const out = join(dir, 'dist');
  const files = ['analyze-heap-dump', 'analyze-worker', 'edge-worker'].map((f) => join(repo, `src/analyzers/hprof/${f}.ts`));
  execFileSync('npx', ['tsc', '--ignoreConfig', '--outDir', out, '--rootDir', repo, '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--skipLibCheck', ...files], { cwd: repo, stdio: 'inherit' });
  return out;
}

function runChild(file: string, threads: number, dist: string, hugepages: boolean): ChildResult {
  const t0 = performance.now();
  const script = join(dist, 'run-child.mjs');
  writeFileSync(script, `const [file, threads] = process.argv.slice(2);
const { analyzeHeapDump } = await import(${JSON.stringify(pathToFileURL(join(dist, 'src/analyzers/hprof/analyze-heap-dump.js')).href)});
const passes = [];
const r = await analyzeHeapDump(file, { threads: Number(threads), onPass: (name, wall, cpu, fresh) => passes.push({ name, cpu, fresh }) });
const cpu = process.cpuUsage();
console.log(JSON.stringify({ seconds: r.seconds, passes, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssKb: process.resourceUsage().maxRSS, objects: r.summary.objects, suspect: r.leakSuspects[0]?.className ?? null, topRetained: r.biggestObjects[0]?.retainedBytes ?? 0 }));
`);
  const env = hugepages ? { ...process.env, GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' } : process.env;
  const r = spawnSync(process.execPath, [script, file, String(threads)], { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 20, env });
  if (r.status !== 0) throw new Error(`analysis child failed: ${r.stderr}`);
  return { ...(JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult), wall: (performance.now() - t0) / 1000 };
}

function makeDump(dir: string, objects: number, keep: boolean, payloadInts: number): Promise<string> {
  const classes = join(dir, 'classes');
  execFileSync('javac', ['-d', classes, join(repo, 'test/fixtures/java/heap/HeapShapes.java')]);
  // ~6 objects per map entry (Node, Long, Payload, String, byte[], int[]).
  const entries = Math.round(objects / 6);
  const name = `leak-${entries}${payloadInts === 4 ? '' : `-p${payloadInts}`}.hprof`;
  const file = keep ? join(tmpdir(), `medic-bench-${name}`) : join(dir, name);
  return new Promise<string>((res, rej) => {
    const p = spawn('java', ['-Xmx3g', '-cp', classes, 'HeapShapes', 'leak', String(entries), String(payloadInts)], { stdio: ['ignore', 'pipe', 'inherit'] });
    p.stdout.on('data', (d: Buffer) => {
      if (!d.toString().includes('READY')) return;
      try {
        execFileSync('jcmd', [String(p.pid), 'GC.heap_dump', file], { stdio: 'ignore' });
        res(file);
      } catch (e) {
        rej(e);
      } finally {
        p.kill('SIGKILL');
      }
    });
    p.on('exit', (code) => code !== null && code !== 0 && rej(new Error(`java exited with ${code}`)));
  });
}

interface VisualVmResult {
  wall: number;
  cpuSeconds: number;
  maxRssKb: number;
  timings: Record<string, number>;
}

function runVisualVm(file: string, dir: string): VisualVmResult | string {
  if (!existsSync(VISUALVM_JAR)) return `VisualVM's heap library is not installed (${VISUALVM_JAR} missing; apt-get install -y visualvm): no ratio measured`;
  const out = join(dir, 'vv');
  execFileSync('javac', ['-cp', VISUALVM_JAR, '-d', out, join(here, 'heap/VisualVmHeap.java')]);
  // VisualVM writes a .hwcache next to the dump: point it at a symlink in our scratch dir so the cache lands there.
  const link = join(dir, basename(file));
  if (!existsSync(link)) symlinkSync(resolve(file), link);
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %M %U %S', 'java', '-cp', `${out}:${VISUALVM_JAR}`, 'VisualVmHeap', link], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const m = /TIME ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(r.stderr);
  if (r.status !== 0 || !m) return `VisualVM run failed: ${r.stderr.slice(-500)}`;
  return { wall: Number(m[1]), maxRssKb: Number(m[2]), cpuSeconds: Number(m[3]) + Number(m[4]), timings: JSON.parse(r.stdout.trim().split('\n').pop()!) };
}

const mb = (b: number): string => `${(b / 1e6).toFixed(0)} MB`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string, dflt: number): number => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : dflt;
  };
  const threads = opt('--threads', 2);
  const runs = opt('--runs', 1);
  const positional = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
  const scratch = mkdtempSync(join(tmpdir(), 'medic-bench-heap-'));
  try {
    let file = positional[0];
    if (!file) {
      const objects = opt('--objects', 1_800_000);
      console.log(`no file given: making a dump of ~${objects.toLocaleString('en-US')} objects from a real JVM…`);
      file = await makeDump(scratch, objects, args.includes('--keep'), opt('--payload-ints', 4));
      if (args.includes('--keep')) console.log(`kept: ${file} (delete it when done)`);
    }
    const size = statSync(file).size;
    console.log(`file: ${file} (${mb(size)})`);
    const dist = buildAnalyzer(scratch);
    const results: ChildResult[] = [];
    for (let i = 0; i < runs; i++) results.push(runChild(file, threads, dist, args.includes('--hugepages')));
    const best = results.reduce((a, b) => (a.seconds.total <= b.seconds.total ? a : b));
    console.log(`\nMedic (threads=${threads}, best of ${runs}): ${best.seconds.total.toFixed(2)} s, ${(size / 1e6 / best.seconds.total).toFixed(0)} MB/s, peak RSS ${mb(best.maxRssKb * 1024)} (${((best.maxRssKb * 1024) / size).toFixed(2)}× the file), ${best.objects.toLocaleString('en-US')} objects`);
    console.log(`CPU time (all threads): ${best.cpuSeconds.toFixed(2)} s; child process wall: ${best.wall!.toFixed(2)} s`);
    console.log('per pass (s):', Object.entries(best.seconds).filter(([k]) => k !== 'total').map(([k, v]) => `${k} ${v}`).join(', '));
    console.log('per pass CPU (s, all threads) [fresh memory so far]:', best.passes.map((p) => `${p.name} ${p.cpu.toFixed(2)} [${mb(p.fresh)}]`).join(', '));
    console.log(`top suspect: ${best.suspect}; biggest object retains ${best.topRetained.toLocaleString('en-US')} B`);
    if (args.includes('--no-visualvm')) return;
    const vv = runVisualVm(file, scratch);
    if (typeof vv === 'string') {
      console.log(`\nVisualVM: ${vv}`);
      return;
    }
    console.log(`\nVisualVM heap library: ${vv.wall.toFixed(2)} s wall, ${vv.cpuSeconds.toFixed(2)} s CPU, peak RSS ${mb(vv.maxRssKb * 1024)}; phases (s): ${JSON.stringify(vv.timings)}`);
    console.log(`ratio: Medic is ${(vv.wall / best.seconds.total).toFixed(1)}× faster (analysis vs VisualVM's JVM wall time), ${(vv.wall / best.wall!).toFixed(1)}× process to process (Node start-up included: ${best.wall!.toFixed(2)} s wall), ${(vv.cpuSeconds / best.cpuSeconds).toFixed(1)}× in CPU seconds (the fairer figure when other work shares the machine)`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
