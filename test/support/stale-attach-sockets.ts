import { readdirSync, rmSync } from 'node:fs';

/**
 * vitest global setup: after the run, remove the attach sockets (`/tmp/.java_pid<pid>`) of JVMs that are gone.
 * jcmd, jstack and jmap make a JVM create one; a JVM killed rather than shut down (as the tests and the restart
 * runbooks do) leaves it behind, a few dozen per run. Sockets of JVMs still running are left alone.
 */
export default function setup(): () => void {
  return () => {
    for (const name of readdirSync('/tmp')) {
      const m = /^\.java_pid(\d+)$/.exec(name);
      if (m && !alive(Number(m[1]))) rmSync(`/tmp/${name}`, { force: true });
    }
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
