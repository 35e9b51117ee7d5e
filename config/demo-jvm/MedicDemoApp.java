import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The demo's JVM, so `jvm threads demo this-host` and `jvm heap demo this-host` have something real to look at:
 * a small worker pool, one contended lock (a "report" thread holds it while sleeping, workers queue on it),
 * and a slowly growing static HashMap (the leak the heap analysis names). Started by `npm run demo` as
 * `java -Xmx128m config/demo-jvm/MedicDemoApp.java medic-demo-jvm [port=<n>]` (single-file source launch).
 * Serves GET /health on 127.0.0.1:<port> (default 18089) for `health demo`.
 */
public class MedicDemoApp {
    /** Grows by 64 KB a second up to about 48 MB: big enough to be the leak suspect, small for -Xmx128m. */
    static final Map<String, byte[]> SESSION_CACHE = new HashMap<>();
    static final Object INVENTORY_LOCK = new Object();

    public static void main(String[] args) throws Exception {
        int port = 18089;
        for (String a : args) if (a.startsWith("port=")) port = Integer.parseInt(a.substring(5));

        ExecutorService pool = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r);
            t.setName("demo-worker-" + t.getId());
            return t;
        });
        for (int i = 0; i < 4; i++) pool.submit(MedicDemoApp::work);

        Thread report = new Thread(() -> {
            while (true) {
                synchronized (INVENTORY_LOCK) {
                    sleep(4000); // holds the lock while "waiting for the database": the contention the analysis shows
                }
                sleep(100);
            }
        }, "nightly-report");
        report.setDaemon(true);
        report.start();

        Thread leak = new Thread(() -> {
            for (int i = 0; ; i++) {
                if (SESSION_CACHE.size() < 768) SESSION_CACHE.put("session-" + i, new byte[64 * 1024]);
                sleep(1000);
            }
        }, "session-tracker");
        leak.setDaemon(true);
        leak.start();

        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/health", ex -> {
            byte[] body = "UP".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        System.out.println("medic-demo-jvm ready on port " + port);
    }

    static void work() {
        long n = 0;
        while (true) {
            synchronized (INVENTORY_LOCK) {
                n++;
            }
            for (int i = 0; i < 200_000; i++) n += i % 7; // a little CPU for top -H
            sleep(50);
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
