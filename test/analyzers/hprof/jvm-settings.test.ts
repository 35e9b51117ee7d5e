import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeHeapDump, toHeapReportJson, type HeapReport } from '../../../src/analyzers/hprof/index.js';
import { JvmLab } from './support/jvm.js';

// The JVM settings section of a heap report, from real JVMs (Java 17): the max heap of a JVM that never asked
// for its own arguments, and secrets that must not leave the JVM (system properties, the command line, strings).
const lab = new JvmLab();
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSIsInJvbGUiOiJhZG1pbiJ9.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const SOURCE = `
import java.util.ArrayList;
import java.util.List;
public class SecretHolder {
  static List<String> KEEP = new ArrayList<>();
  public static void main(String[] a) throws Exception {
    for (int i = 0; i < 500; i++) KEEP.add(new String("jdbc.password=hunter2-in-a-string"));
    for (int i = 0; i < 500; i++) KEEP.add(new String("${JWT}"));
    System.out.println("READY"); System.out.flush(); Thread.sleep(Long.MAX_VALUE);
  }
}`;

let report: HeapReport;
let directLimited: HeapReport;
beforeAll(async () => {
  await lab.compile([{ name: 'SecretHolder.java', text: SOURCE }]);
  const [pid, pid2] = await Promise.all([
    lab.start('SecretHolder', ['--api-token', 'tok-from-args', 'serve'], '128m', ['-Ddb.password=hunter2-prop', '-Dapp.name=shop']),
    lab.start('SecretHolder', [], '128m', ['-XX:MaxDirectMemorySize=64m']),
  ]);
  const { file } = await lab.dumpAndHisto(pid, 'secrets.hprof');
  const { file: file2 } = await lab.dumpAndHisto(pid2, 'direct.hprof');
  lab.stopJvms();
  report = await analyzeHeapDump(file);
  directLimited = await analyzeHeapDump(file2);
}, 180_000);

afterAll(() => lab.killAll());

describe('the JVM settings of a heap dump', () => {
  it('finds the max heap of a JVM started with -Xmx128m that never read its own arguments', () => {
    // No -Xmx string is in this heap (nothing called RuntimeMXBean.getInputArguments()).
    expect(report.jvm.heapOptions).toEqual([]);
    expect(report.jvm.xmx).toBeNull();
    expect(report.jvm.maxHeapBytes).toBe(128 * 1024 * 1024);
  });

  it('claims no max heap when -XX:MaxDirectMemorySize hides it', () => {
    expect(directLimited.jvm.xmx).toBeNull();
    expect(directLimited.jvm.maxHeapBytes).toBeNull();
  });

  it('masks secret system properties, secrets on the command line and secret-looking strings', () => {
    expect(report.jvm.systemProperties['db.password']).toBe('••••');
    expect(report.jvm.systemProperties['app.name']).toBe('shop');
    expect(report.jvm.systemProperties['sun.java.command']).toBe('SecretHolder --api-token •••• serve');
    const values = report.duplicateStrings.map((d) => d.value);
    expect(values).toContain('jdbc.password=••••');
    expect(values).toContain('••••');
    const everything = JSON.stringify([report, toHeapReportJson(report)]);
    for (const secret of ['hunter2', 'tok-from-args', JWT.slice(0, 40)]) expect(everything).not.toContain(secret);
  });
});
