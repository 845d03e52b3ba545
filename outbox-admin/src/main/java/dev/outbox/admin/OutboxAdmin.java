package dev.outbox.admin;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.MessageId;
import dev.outbox.StoreException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code outbox-admin}: the operator's command line for an outbox in PostgreSQL. Every command takes the database
 * options ({@code --jdbc-url}, {@code --user}, {@code --password} or their environment variables, {@code --schema},
 * {@code --table-prefix}, {@code --lanes}); see {@code docs/admin.md} for each command.
 *
 * <p>Exit codes: {@value #EXIT_OK} done; {@value #EXIT_SOFTWARE} unexpected failure; {@value #EXIT_USAGE} bad or
 * missing option or argument; {@value #EXIT_DATABASE} bad URL, database unreachable or failing; {@value
 * #EXIT_NOT_MIGRATED} outbox tables missing or with another lane count; {@value #EXIT_UNKNOWN_LANE} no such lane;
 * {@value #EXIT_LANE_NOT_STOPPED} the lane is not stopped; {@value #EXIT_UNKNOWN_PARKED} no parked message with that
 * id. Errors go to standard error as one line naming the problem; a password never appears in any output.
 */
@Command(
        name = "outbox-admin",
        description = "Inspect and operate an outbox in PostgreSQL: lanes, stopped lanes, parked messages, schema.",
        subcommands = {
            Commands.Status.class,
            Commands.Stopped.class,
            Commands.Restart.class,
            Commands.Skip.class,
            Commands.Parked.class,
            Commands.Replay.class,
            Commands.Schema.class,
            Commands.Migrate.class,
            CommandLine.HelpCommand.class
        },
        mixinStandardHelpOptions = true,
        versionProvider = OutboxAdmin.Version.class,
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:done",
            "1:unexpected failure",
            "2:bad or missing option or argument",
            "3:bad JDBC URL, database unreachable or failing",
            "4:outbox tables missing, or with another lane count",
            "5:no such lane",
            "6:the lane is not stopped",
            "7:no parked message with that id"
        })
public final class OutboxAdmin implements Runnable {
    /** The command did what it was asked. */
    public static final int EXIT_OK = 0;
    /** An unexpected failure (a bug, or an error this tool does not recognise). */
    public static final int EXIT_SOFTWARE = 1;
    /** A bad or missing option or argument. */
    public static final int EXIT_USAGE = 2;
    /** The JDBC URL is not a PostgreSQL one, or the database cannot be reached, refuses the login, or fails. */
    public static final int EXIT_DATABASE = 3;
    /** The outbox tables do not exist under the given schema and prefix, or have another lane count. */
    public static final int EXIT_NOT_MIGRATED = 4;
    /** The lane number is outside the store's lanes. */
    public static final int EXIT_UNKNOWN_LANE = 5;
    /** The lane exists but is not stopped, so there is nothing to restart or skip. */
    public static final int EXIT_LANE_NOT_STOPPED = 6;
    /** No parked message has that id. */
    public static final int EXIT_UNKNOWN_PARKED = 7;

    @Spec
    CommandSpec spec;

    /** Use {@link #commandLine()} or {@link #main}. */
    OutboxAdmin() {}

    /** Runs a command and exits the JVM with its exit code. */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * The command line, ready to {@link CommandLine#execute execute}; set its output and error writers to capture
     * them. Not thread-safe: one execution at a time.
     */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new OutboxAdmin());
        cl.registerConverter(MessageId.class, MessageId::parse);
        cl.setExecutionExceptionHandler(OutboxAdmin::handle);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    private static int handle(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        int code;
        String message;
        if (e instanceof AdminException a) {
            code = a.exitCode();
            message = a.getMessage();
        } else if (e instanceof StoreException s) {
            code = EXIT_DATABASE;
            message = "database error: " + s.getMessage();
        } else if (e instanceof InvalidConfigurationException i) {
            code = EXIT_NOT_MIGRATED;
            message = i.getMessage();
        } else if (e instanceof CommandLine.ParameterException p) {
            err.println(p.getMessage());
            return EXIT_USAGE;
        } else {
            code = EXIT_SOFTWARE;
            message = "unexpected failure: " + e;
        }
        err.println("outbox-admin " + cl.getCommandName() + ": " + message);
        err.flush();
        return code;
    }

    /** The version from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = OutboxAdmin.class.getPackage().getImplementationVersion();
            return new String[] {"outbox-admin " + (v == null ? "(development build)" : v)};
        }
    }
}
