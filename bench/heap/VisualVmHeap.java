import java.io.File;
import java.util.List;
import java.util.Properties;
import org.graalvm.visualvm.lib.jfluid.heap.Heap;
import org.graalvm.visualvm.lib.jfluid.heap.HeapFactory;
import org.graalvm.visualvm.lib.jfluid.heap.Instance;
import org.graalvm.visualvm.lib.jfluid.heap.JavaClass;

/**
 * Drives VisualVM's heap library (the Debian `visualvm` package) headless over one dump and asks it for what
 * Medic's report holds: open (index), class histogram, the 20 biggest objects by retained size (dominators), the
 * path from each of them to its GC root (Medic's `pathToRoot`), retained size per class, and the JVM's system
 * properties (Medic's `jvm` settings). Prints one JSON line of timings.
 */
public class VisualVmHeap {
    public static void main(String[] args) throws Exception {
        long t0 = System.nanoTime();
        Heap heap = HeapFactory.createHeap(new File(args[0]));
        long t1 = System.nanoTime();
        long objects = 0, bytes = 0;
        List<JavaClass> classes = heap.getAllClasses();
        for (JavaClass c : classes) {
            objects += c.getInstancesCount();
            bytes += c.getAllInstancesSize();
        }
        long t2 = System.nanoTime();
        List<Instance> big = heap.getBiggestObjectsByRetainedSize(20);
        long t3 = System.nanoTime();
        // Path to a GC root for each (VisualVM finds nearest roots by a breadth-first search over the heap).
        long pathSteps = 0;
        for (Instance i : big) {
            for (Instance x = i; x != null && !x.isGCRoot() && pathSteps < 100_000_000L; pathSteps++) x = x.getNearestGCRootPointer();
        }
        long t4 = System.nanoTime();
        long classRetained = 0;
        for (JavaClass c : classes) classRetained = Math.max(classRetained, c.getRetainedSizeByClass());
        long t5 = System.nanoTime();
        Properties props = heap.getSystemProperties();
        long t6 = System.nanoTime();
        System.out.printf(
            "{\"open\":%.3f,\"histogram\":%.3f,\"biggestObjects\":%.3f,\"paths\":%.3f,\"classRetained\":%.3f,\"settings\":%.3f,\"total\":%.3f,\"objects\":%d,\"shallowBytes\":%d,\"topRetained\":%d,\"pathSteps\":%d,\"topClassRetained\":%d,\"properties\":%d}%n",
            (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9, (t4 - t3) / 1e9, (t5 - t4) / 1e9, (t6 - t5) / 1e9, (t6 - t0) / 1e9, objects, bytes,
            big.isEmpty() ? 0 : big.get(0).getRetainedSize(), pathSteps, classRetained, props == null ? 0 : props.size());
    }
}
