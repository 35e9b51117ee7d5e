/**
 * Frame patterns shared by the pool, stuck-thread and contention heuristics. They are deliberately conservative:
 * a thread counts as idle only when it is visibly waiting for work, never merely because it is parked.
 */

// Waiting for work: executor queues, Tomcat's TaskQueue (via getTask), fork-join idling, selectors, accept loops.
const IDLE = new RegExp(
  [
    'ThreadPoolExecutor\\.getTask',
    'ForkJoinPool\\.awaitWork',
    'LinkedBlockingQueue\\.(?:take|poll)',
    'LinkedBlockingDeque\\.(?:take|poll)',
    'ArrayBlockingQueue\\.(?:take|poll)',
    'SynchronousQueue',
    'LinkedTransferQueue\\.',
    'DelayQueue\\.take',
    'DelayedWorkQueue\\.take',
    'PriorityBlockingQueue\\.take',
    // Home-grown work queues (Hazelcast's MPSCQueue.takeAll, ...) follow the same naming.
    'Queue[\\w$]*\\.(?:take|takeAll|poll|drainTo)\\(',
    'TimerThread\\.mainLoop',
    'EPoll\\.wait',
    'epollWait',
    'KQueue\\.poll',
    'kevent0',
    'WindowsSelectorImpl',
    'SelectorImpl\\.select',
    'socketAccept',
    'Net\\.accept',
    'ServerSocketChannelImpl\\.accept',
    'PlainSocketImpl\\.accept',
    'Reference\\.waitForReferencePendingList',
    'ReferenceQueue\\.remove',
    'Object\\.wait.*Finalizer',
  ].join('|'),
);

// Waiting for another task's result or for a gate (Future.get, CompletableFuture.join, latches, barriers, permits):
// parked without a lock, like an idle worker, but busy: it holds a request, and a pool of these takes no new work.
const AWAITING_RESULT = new RegExp(
  [
    'FutureTask\\.(?:get|awaitDone)',
    'CompletableFuture\\.(?:get|join|waitingGet|timedGet)',
    'ForkJoinTask\\.(?:get|join|awaitDone|invoke)',
    'CountDownLatch\\.await',
    'CyclicBarrier\\.(?:await|dowait)',
    'Phaser\\.(?:awaitAdvance|arriveAndAwaitAdvance|internalAwaitAdvance)',
    'Semaphore\\.acquire',
    'Exchanger\\.exchange',
  ].join('|'),
);

/** True when one of the first frames shows the thread waiting for a result or a gate, not for work. */
export function isAwaitingResult(frames: string[]): boolean {
  return topFramesMatch(frames, AWAITING_RESULT);
}

// What a lock holder may be doing instead of releasing the lock quickly.
const IDLE_OR_IO = /Thread\.sleep|Object\.wait|Unsafe\.park|socketRead|SocketInputStream|NioSocketImpl|SocketDispatcher\.read|FileInputStream\.read|FileDispatcherImpl|readBytes|read0|write0|connect0|EPoll|poll0/;

/** True when one of the first frames shows the thread waiting for work. */
export function isIdleStack(frames: string[]): boolean {
  return topFramesMatch(frames, IDLE);
}

/** Whether one of the 16 innermost frames matches (what a thread waits in sits near the top of its stack). */
function topFramesMatch(frames: string[], re: RegExp): boolean {
  const n = Math.min(frames.length, 16);
  for (let i = 0; i < n; i++) if (re.test(frames[i])) return true;
  return false;
}

export function isIdleOrIoFrame(frame: string): boolean {
  return IDLE_OR_IO.test(frame);
}

const PLATFORM = /^(?:java|javax|jdk|sun|com\.sun)\./;

/** The first frame outside the JDK: where the application is, which is what "stuck in the same frame" means. */
export function appFrame(frames: string[]): string | undefined {
  for (const f of frames) if (!PLATFORM.test(f)) return f;
  return frames[0];
}

/**
 * Pool name of a thread: the name without its trailing counter, so `http-nio-8080-exec-12` → `http-nio-8080-exec-*`,
 * `pool-3-thread-7` → `pool-3-thread-*`, `GC Thread#1` → `GC Thread#*`. A bracketed suffix (`w13 [container1-361]`,
 * HP-UX/JEUS) is dropped first because it carries a per-thread counter too.
 */
export function normalisePoolName(name: string): string {
  const base = name.replace(/\s*\[[^\]]*\]\s*$/, '');
  return base.replace(/\d+$/, '*');
}
