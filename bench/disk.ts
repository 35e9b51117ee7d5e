/**
 * `npm run bench:disk [-- --files N]`: Medic-Disk (check mode, the `disk` command's document) through the local
 * executor on a loop-mounted ext4 holding N files (default 1,000,000: 1,000 directories three levels deep, 1,000
 * files each, a few with data). Prints: the full scan's time and what it found; a scan with a 5 s budget (it must
 * stop at the budget and say it is partial); and the host's responsiveness meanwhile: the latency of a 4 KB
 * write + fsync on /tmp every 100 ms, before and during the scans. Needs root (mount). Figures, never assertions.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { InventorySchema } from '../src/core/inventory.js';
import { createLocalExecutor } from '../src/executors/local.js';
import { parseDiskOutput } from '../src/analyzers/disk/parse-disk.js';
import { diskParameters } from '../src/runbooks/disk/disk-document.js';
import { makeFilesystems } from '../test/runbooks/disk/disk-fs.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const FILES = arg('files', 1_000_000);
const PER_DIR = 1000;

function probe(): { stop(): { n: number; p50: number; p99: number; max: number } } {
  const lat: number[] = [];
  const f = `/tmp/medic-bench-disk-probe-${process.pid}`;
  const buf = Buffer.alloc(4096, 7);
  const t = setInterval(() => {
    const s = performance.now();
    const fd = openSync(f, 'w');
    writeSync(fd, buf);
    fsyncSync(fd);
    closeSync(fd);
    lat.push(performance.now() - s);
  }, 100);
  return {
    stop() {
      clearInterval(t);
      rmSync(f, { force: true });
      const v = [...lat].sort((a, b) => a - b);
      const q = (x: number) => v[Math.min(v.length - 1, Math.floor(x * v.length))] ?? 0;
      return { n: v.length, p50: q(0.5), p99: q(0.99), max: v[v.length - 1] ?? 0 };
    },
  };
}
const fmt = (p: { n: number; p50: number; p99: number; max: number }) => `${p.n} probes, p50 ${p.p50.toFixed(1)} ms, p99 ${p.p99.toFixed(1)} ms, max ${p.max.toFixed(1)} ms`;

const fs = makeFilesystems(Math.max(256, Math.ceil(FILES / 1500)), 16, Math.ceil(FILES * 1.1) + 1000);
try {
  const t0 = performance.now();
  let made = 0;
  const dirs = Math.ceil(FILES / PER_DIR);
  for (let d = 0; d < dirs && made < FILES; d++) {
    const dir = join(fs.ext4, `a${Math.floor(d / 100)}`, `b${Math.floor(d / 10) % 10}`, `c${d % 10}`);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < PER_DIR && made < FILES; i++, made++) {
      const fd = openSync(join(dir, i % 100 === 0 ? `app.log.${i}.gz` : `f${i}`), 'w');
      if (i % 250 === 0) writeSync(fd, Buffer.alloc(8192, 1));
      closeSync(fd);
    }
  }
  console.log(`made ${made.toLocaleString('en')} files in ${dirs} directories on ${fs.ext4} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const executor = createLocalExecutor();
  InventorySchema.parse({}); // the schema module loads before timing
  const base = probe();
  await new Promise((r) => setTimeout(r, 3000));
  console.log(`baseline (no scan): ${fmt(base.stop())}`);

  for (const budget of [300, 5]) {
    const p = probe();
    const s = performance.now();
    const r = await executor.run({ document: 'Medic-Disk', parameters: diskParameters({ rotatedLogs: { paths: [fs.ext4], olderThanDays: 1 } }, 'check', { mount: fs.ext4, scanSeconds: budget }), targets: { instanceIds: ['local'] }, timeoutSeconds: budget + 300 });
    const ms = performance.now() - s;
    const out = parseDiskOutput(r.instances[0]!.stdout);
    const scan = out.scans[0];
    console.log(
      `disk check, scan budget ${budget} s: ${(ms / 1000).toFixed(1)} s in all (${r.instances[0]!.status}); scan ${scan?.complete ? 'complete' : 'PARTIAL (budget reached)'} after ${scan?.seconds ?? '?'} s, ${scan?.files.toLocaleString('en') ?? '?'} files seen, ${scan?.rotated.files ?? 0} rotated logs; plan ${out.plan.map((x) => `${x.action} ${x.files} files`).join(', ')}`,
    );
    console.log(`  host meanwhile: ${fmt(p.stop())}`);
  }
} finally {
  fs.cleanup();
}
