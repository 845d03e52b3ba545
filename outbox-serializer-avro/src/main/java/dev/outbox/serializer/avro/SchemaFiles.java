package dev.outbox.serializer.avro;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.InvalidMessageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;

/**
 * The schema files of each event type, found on the classpath by name: {@code <root>/A/B/C_v<n>.avsc} for type {@code
 * A.B.C}, versions numbered from 1 without gaps. Loaded on first use of a type and kept; unknown types are not
 * remembered, so arbitrary names cannot grow the cache. Thread-safe.
 */
final class SchemaFiles {
    /** Type names that map to a resource path: dot-separated words, no path tricks. */
    private static final Pattern TYPE = Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*");

    /** More versions than this is a sign of a loop, not of a schema history. */
    private static final int MAX_VERSIONS = 10_000;

    private final ClassLoader loader;
    private final String root;
    private final Map<String, List<Schema>> versions = new ConcurrentHashMap<>();

    SchemaFiles(ClassLoader loader, String root) {
        this.loader = loader;
        this.root = root;
    }

    /** The resource holding version {@code version} of {@code type}. */
    String resource(String type, int version) {
        return root + "/" + type.replace('.', '/') + "_v" + version + ".avsc";
    }

    /**
     * Every version of the type's schema, version 1 first.
     *
     * @throws InvalidMessageException if the type name is malformed or has no schema file
     * @throws InvalidConfigurationException if a schema file is not a valid Avro schema
     */
    List<Schema> versions(String type) {
        checkType(type);
        List<Schema> known = versions.get(type);
        if (known != null) {
            return known;
        }
        List<Schema> loaded = load(type);
        if (loaded.isEmpty()) {
            throw new InvalidMessageException("no Avro schema for type " + type + ": expected the classpath resource "
                    + resource(type, 1) + " (and _v2, _v3, ... for later versions)");
        }
        List<Schema> previous = versions.putIfAbsent(type, loaded);
        return previous != null ? previous : loaded;
    }

    static void checkType(String type) {
        if (type == null || !TYPE.matcher(type).matches()) {
            throw new InvalidMessageException("type " + (type == null ? "null" : "'" + type + "'")
                    + " cannot name an Avro schema file: use dot-separated words of letters, digits, '_' and '-'");
        }
    }

    private List<Schema> load(String type) {
        List<Schema> out = new ArrayList<>();
        for (int v = 1; v <= MAX_VERSIONS; v++) {
            String name = resource(type, v);
            try (InputStream in = loader.getResourceAsStream(name)) {
                if (in == null) {
                    break;
                }
                // A parser per file: two versions of one record share its full name, which one parser refuses.
                out.add(new Schema.Parser().parse(in));
            } catch (AvroRuntimeException e) {
                throw new InvalidConfigurationException(
                        "schema file " + name + " is not a valid Avro schema: " + e.getMessage(), e);
            } catch (IOException e) {
                throw new UncheckedIOException("could not read schema file " + name, e);
            }
        }
        return List.copyOf(out);
    }
}
