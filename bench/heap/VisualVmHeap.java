import java.io.File;
import java.util.List;
import org.graalvm.visualvm.lib.jfluid.heap.Heap;
import org.graalvm.visualvm.lib.jfluid.heap.HeapFactory;
import org.graalvm.visualvm.lib.jfluid.heap.Instance;
import org.graalvm.visualvm.lib.jfluid.heap.JavaClass;

/**
 * Drives VisualVM's heap library (the Debian `visualvm` package) headless over one dump: open (index), class
 * histogram, retained sizes (dominators) per class and the 20 biggest objects. Prints one JSON line of timings.
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
        long classRetained = 0;
        for (JavaClass c : classes) classRetained = Math.max(classRetained, c.getRetainedSizeByClass());
        long t4 = System.nanoTime();
        System.out.printf(
            "{\"open\":%.3f,\"histogram\":%.3f,\"biggestObjects\":%.3f,\"classRetained\":%.3f,\"total\":%.3f,\"objects\":%d,\"shallowBytes\":%d,\"topRetained\":%d,\"topClassRetained\":%d}%n",
            (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9, (t4 - t3) / 1e9, (t4 - t0) / 1e9, objects, bytes,
            big.isEmpty() ? 0 : big.get(0).getRetainedSize(), classRetained);
    }
}
