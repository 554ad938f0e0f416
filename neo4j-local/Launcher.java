/*
 * GraphRisk local Neo4j server launcher (single file, no build step):
 *
 *   java [jvm options] -cp "$(cat classpath.txt)" neo4j-local/Launcher.java \
 *        --home-dir=HOME --config-dir=HOME/conf
 *
 * Environment:
 *   GRAPHRISK_NEO4J_PASSWORD  password of the "neo4j" user (default graphrisk-local)
 *
 * Start-up path chosen, and why:
 *   This drives org.neo4j.server.CommunityBootstrapper -- the very class that
 *   the stock `neo4j console` runs through CommunityEntryPoint -- in-process,
 *   instead of calling CommunityEntryPoint.main() or building an embedded
 *   DatabaseManagementServiceBuilder:
 *     - it is the real server: neo4j.conf is read and validated exactly as the
 *       packaged server does, with the server defaults, logs/ layout, the Bolt
 *       and (optional) HTTP connectors, plugins/ procedure loading, and the
 *       SIGTERM/SIGINT handlers plus shutdown hook that shut the DBMS down
 *       cleanly;
 *     - unlike CommunityEntryPoint.main(), it hands back the
 *       DatabaseManagementService, so the launcher can (a) check the default
 *       database is online before announcing READY and (b) enforce the
 *       configured password: the server's AuthManager says whether it already
 *       logs in (the usual restart, no Cypher needed), else
 *       `ALTER USER neo4j SET PASSWORD ... CHANGE NOT REQUIRED` runs on the
 *       system database -- no neo4j-admin tool, and a changed
 *       GRAPHRISK_NEO4J_PASSWORD applies on the next start;
 *     - the embedded builder would have to re-create the server's settings,
 *       logging and signal handling by hand, and neo4j-harness is a test
 *       fixture (tiny page cache, random ports, temp dirs).
 *   Before the very first start the password is also written with the stock
 *   `neo4j-admin dbms set-initial-password` command (org.neo4j.cli.AdminTool,
 *   in-process), so the default neo4j/neo4j login is never reachable.
 *
 * Prints exactly one line "READY bolt://127.0.0.1:PORT" (stdout) once Bolt
 * accepts connections, then runs until SIGTERM/SIGINT.  Exit codes: 0 clean
 * stop, non-zero when the server could not start.
 */

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.neo4j.cli.AdminTool;
import org.neo4j.cli.ExecutionContext;
import org.neo4j.configuration.Config;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.internal.kernel.api.connectioninfo.ClientConnectionInfo;
import org.neo4j.internal.kernel.api.security.AuthenticationResult;
import org.neo4j.internal.kernel.api.security.LoginContext;
import org.neo4j.kernel.api.security.AuthManager;
import org.neo4j.kernel.api.security.AuthToken;
import org.neo4j.kernel.internal.GraphDatabaseAPI;
import org.neo4j.server.CommunityBootstrapper;

public class Launcher {

    public static void main(String[] args) throws Exception {
        Path home = null;
        Path confDir = null;
        Map<String, String> overrides = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.startsWith("--home-dir=")) {
                home = Path.of(a.substring("--home-dir=".length()));
            } else if (a.startsWith("--config-dir=")) {
                confDir = Path.of(a.substring("--config-dir=".length()));
            } else if (a.equals("-c") && i + 1 < args.length) {
                String kv = args[++i];
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    die(3, "bad -c option (want key=value): " + kv);
                }
                overrides.put(kv.substring(0, eq), kv.substring(eq + 1));
            } else {
                die(3, "usage: Launcher --home-dir=DIR [--config-dir=DIR] [-c key=value]...  (unknown: " + a + ")");
            }
        }
        if (home == null) {
            die(3, "--home-dir= is required");
        }
        home = home.toAbsolutePath().normalize();
        if (confDir == null) {
            confDir = home.resolve("conf");
        }
        confDir = confDir.toAbsolutePath().normalize();
        Path confFile = confDir.resolve("neo4j.conf");

        String password = System.getenv().getOrDefault("GRAPHRISK_NEO4J_PASSWORD", "graphrisk-local");
        if (password.length() < 8) {
            // Neo4j 5 refuses passwords shorter than dbms.security.auth_minimum_password_length (8).
            die(3, "GRAPHRISK_NEO4J_PASSWORD must be at least 8 characters");
        }

        // The same view of the configuration the server will use, to find data/ and the Bolt address.
        Config config = Config.newBuilder()
                .setDefaults(GraphDatabaseSettings.SERVER_DEFAULTS)
                .fromFileNoThrow(confFile)
                .setRaw(overrides)
                .set(GraphDatabaseSettings.neo4j_home, home)
                .build();
        SocketAddress bolt = config.get(BoltConnector.listen_address);

        // 1. First start only: store the initial password the way neo4j-admin does (data/dbms/auth.ini).
        Path dataDir = config.get(GraphDatabaseSettings.data_directory);
        boolean firstStart = !Files.exists(dataDir.resolve("databases").resolve("system"));
        if (firstStart) {
            int rc = AdminTool.execute(
                    new ExecutionContext(home, confDir), "dbms", "set-initial-password", password);
            if (rc != 0) {
                die(rc, "neo4j-admin dbms set-initial-password failed (exit " + rc + ")");
            }
        }

        // 2. Start the real server (console mode: logs also go to stdout, which the caller redirects).
        CommunityBootstrapper bootstrapper = new CommunityBootstrapper();
        int rc = bootstrapper.start(home, confFile, overrides, false, false);
        if (rc != 0) {
            bootstrapper.stop();
            die(rc, "Neo4j failed to start (exit " + rc + "); see " + home.resolve("logs"));
        }
        DatabaseManagementService dbms = bootstrapper.getDatabaseManagementService();

        // 3. Enforce the configured password on every start (applies a changed password too).
        ensurePassword(dbms, password);

        // 4. Wait until the default database is online and Bolt accepts TCP connections.
        String defaultDb = config.get(GraphDatabaseSettings.initial_default_database);
        GraphDatabaseService db = dbms.database(defaultDb);
        if (!db.isAvailable(TimeUnit.SECONDS.toMillis(60))) {
            System.err.println("database '" + defaultDb + "' did not come online within 60 s");
            System.exit(2); // runs the server's shutdown hook
        }
        String host = bolt.getHostname().isEmpty() || bolt.getHostname().equals("0.0.0.0")
                ? "127.0.0.1" : bolt.getHostname();
        waitForPort(host, bolt.getPort(), 30_000);
        System.out.println("READY bolt://" + host + ":" + bolt.getPort());
        System.out.flush();

        // SIGTERM/SIGINT -> System.exit(0) (handlers installed by the bootstrapper) -> shutdown hook
        // stops the DBMS cleanly.  Keep the main thread parked until then.
        new CountDownLatch(1).await();
    }

    private static void ensurePassword(DatabaseManagementService dbms, String password) {
        GraphDatabaseService system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
        if (passwordAlreadySet(system, password)) {
            return; // the usual restart: no Cypher needed (a cold system-command compile costs ~5 s)
        }
        try {
            system.executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED", Map.of("pw", password));
            System.err.println("graphrisk-neo4j: password of user neo4j set from GRAPHRISK_NEO4J_PASSWORD");
        } catch (RuntimeException e) {
            // Neo4j refuses to "change" a password to the value it already has: nothing to do then.
            String msg = String.valueOf(e.getMessage()) + " " + (e.getCause() == null ? "" : e.getCause().getMessage());
            if (!msg.contains("Old password and new password cannot be the same")) {
                throw e;
            }
        }
    }

    /** Asks the server's own AuthManager whether neo4j/password logs in (and needs no password change). */
    private static boolean passwordAlreadySet(GraphDatabaseService system, String password) {
        try {
            AuthManager auth = ((GraphDatabaseAPI) system).getDependencyResolver().resolveDependency(AuthManager.class);
            LoginContext login = auth.login(
                    AuthToken.newBasicAuthToken("neo4j", password), ClientConnectionInfo.EMBEDDED_CONNECTION);
            return login.subject().getAuthenticationResult() == AuthenticationResult.SUCCESS;
        } catch (Exception | LinkageError e) {
            return false; // fall back to ALTER USER
        }
    }

    private static void waitForPort(String host, int port, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 1000);
                return;
            } catch (IOException e) {
                if (System.currentTimeMillis() > deadline) {
                    System.err.println("Bolt did not accept connections on " + host + ":" + port);
                    System.exit(2);
                }
                Thread.sleep(200);
            }
        }
    }

    private static void die(int code, String message) {
        System.err.println("graphrisk-neo4j: " + message);
        System.exit(code == 0 ? 1 : code);
    }
}
