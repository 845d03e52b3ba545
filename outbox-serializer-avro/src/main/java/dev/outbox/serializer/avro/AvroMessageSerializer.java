package dev.outbox.serializer.avro;

import dev.outbox.IncomingMessage;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.InvalidMessageException;
import dev.outbox.spi.MessageSerializer;
import dev.outbox.spi.SerializedPayload;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;

/**
 * A {@link MessageSerializer} writing Avro's plain binary encoding (no container file, no schema in the payload)
 * against schema files on the classpath, content type {@value #CONTENT_TYPE}.
 *
 * <p><b>Schema files.</b> Each event type has its schemas under a root folder of the classpath (default {@value
 * #DEFAULT_ROOT}), one file per version, the type's dots becoming folders: type {@code
 * Warehouse.Events.ProductQuantityIncreased} has {@code schemas/Warehouse/Events/ProductQuantityIncreased_v1.avsc},
 * then {@code _v2.avsc}, ... Versions are numbered from 1 without gaps; each file is a self-contained Avro schema (no
 * references to types of other files). Keep every version whose messages may still be waiting in an outbox or a
 * queue: readers need it.
 *
 * <p><b>Writing.</b> {@link #serialize} writes with the highest version of the type and puts that version in the
 * payload's headers as {@value #SCHEMA_VERSION_HEADER}, which travel in the envelope to consumers. An Avro record
 * ({@link org.apache.avro.generic.GenericRecord} or a generated {@link SpecificRecord}) whose schema is one of the
 * type's versions is written with that version. Other values (Java records, POJOs, maps, records of another schema)
 * are matched field by field, by name, against the schema: record components, getters ({@code getX}/{@code isX}) or
 * fields. A schema field the value lacks, or holds as null, takes its default; without a default it is refused, as is
 * a value of the wrong type. Properties the schema does not name are not written. Logical types take {@code Instant}
 * (timestamp-millis/micros), {@code LocalDate} (date), {@code LocalTime} (time-millis/micros), {@code LocalDateTime}
 * (local-timestamp-millis/micros), {@code BigDecimal} (decimal) and {@code UUID} (uuid). Since the outbox serializes
 * at append, a value that does not fit is refused in the appending call, with an {@link InvalidMessageException}
 * naming the type, the schema version and the field, and nothing is stored.
 *
 * <p><b>Reading.</b> {@link #read(IncomingMessage, Class)} and {@link #deserialize(String, Map, byte[], Class)} pick
 * the writer's schema from the {@value #SCHEMA_VERSION_HEADER} header and resolve it against the reader's: the
 * type's highest version here (or a {@link SpecificRecord} target's own schema), so fields added later with a default
 * get their default. The result is converted into the target: a {@link org.apache.avro.generic.GenericRecord}, a
 * {@link SpecificRecord}, a Java record (every component must be in the reader schema) or a POJO (a no-argument
 * constructor, setters or fields; schema fields it lacks are ignored). The port's {@link #deserialize(String, String,
 * byte[], Class)} has no headers: it reads types that have one schema version only, and refuses the others.
 *
 * <p>Thread-safe; schema files are read once per type.
 */
public final class AvroMessageSerializer implements MessageSerializer {
    /** The content type of the payloads. */
    public static final String CONTENT_TYPE = "application/avro";

    /** The header carrying the schema version a payload was written with. */
    public static final String SCHEMA_VERSION_HEADER = "schema_version";

    /** The default classpath folder of the schema files. */
    public static final String DEFAULT_ROOT = "schemas";

    private final SchemaFiles schemas;

    private AvroMessageSerializer(SchemaFiles schemas) {
        this.schemas = schemas;
    }

    /** A serializer reading schema files under {@value #DEFAULT_ROOT} with the thread's context class loader. */
    public static AvroMessageSerializer create() {
        return builder().build();
    }

    /** A builder. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The schema of one version of a type, e.g. to build {@link org.apache.avro.generic.GenericRecord}s.
     *
     * @throws InvalidMessageException if the type has no schema file, or not that version
     */
    public Schema schema(String type, int version) {
        List<Schema> versions = schemas.versions(type);
        if (version < 1 || version > versions.size()) {
            throw new InvalidMessageException("type " + type + " has schema versions 1 to " + versions.size() + ", not "
                    + version + ": expected " + schemas.resource(type, version));
        }
        return versions.get(version - 1);
    }

    /**
     * The highest schema version of a type: the one {@link #serialize} writes.
     *
     * @throws InvalidMessageException if the type has no schema file
     */
    public int latestVersion(String type) {
        return schemas.versions(type).size();
    }

    /**
     * Writes {@code value} with the type's schema.
     *
     * @return the bytes, content type {@value #CONTENT_TYPE} and the header {@value #SCHEMA_VERSION_HEADER}
     * @throws InvalidMessageException if the type has no schema file, or the value does not fit it (the message names
     *     the field)
     */
    @Override
    public SerializedPayload serialize(String type, Object value) {
        List<Schema> versions = schemas.versions(type);
        if (value == null) {
            throw new InvalidMessageException("type " + type + ": the value must not be null");
        }
        int version = versions.size();
        if (value instanceof IndexedRecord r) {
            int own = versions.indexOf(r.getSchema());
            if (own >= 0) {
                version = own + 1;
            }
        }
        Schema schema = versions.get(version - 1);
        Object datum = new ToAvro(type, version).convert(schema, value, "");
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try {
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
            new GenericDatumWriter<>(schema, GenericData.get()).write(datum, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new InvalidMessageException(
                    "type " + type + " (schema v" + version + "): could not write the value: " + e.getMessage(), e);
        }
        return new SerializedPayload(
                out.toByteArray(), CONTENT_TYPE, Map.of(SCHEMA_VERSION_HEADER, Integer.toString(version)));
    }

    /**
     * Reads a payload without its headers, which is possible only for a type with a single schema version; prefer
     * {@link #read(IncomingMessage, Class)}.
     *
     * @throws InvalidMessageException if the content type is not {@value #CONTENT_TYPE}, the type has several schema
     *     versions, or the payload cannot be read as {@code target}
     */
    @Override
    public <T> T deserialize(String type, String contentType, byte[] payload, Class<T> target) {
        checkContentType(type, contentType);
        return deserialize(type, Map.of(), payload, target);
    }

    /**
     * Reads a delivered message: its type, content type and schema version come from its envelope.
     *
     * @throws InvalidMessageException if the message is not Avro, its schema version is unknown here, or it cannot be
     *     read as {@code target}
     */
    @Override
    public <T> T read(IncomingMessage message, Class<T> target) {
        if (message == null) {
            throw new InvalidMessageException("message must not be null");
        }
        String type = message.envelope().type();
        checkContentType(type, message.envelope().contentType());
        return deserialize(type, message.envelope().headers(), message.payload(), target);
    }

    /**
     * Reads a payload written with the schema version named by {@code headers}' {@value #SCHEMA_VERSION_HEADER}
     * (without it, the type must have a single version).
     *
     * @throws InvalidMessageException if the version is malformed or unknown here, or the payload cannot be read as
     *     {@code target}
     */
    public <T> T deserialize(
            String type, String contentType, Map<String, String> headers, byte[] payload, Class<T> target) {
        return deserialize(type, headers, payload, target);
    }

    /**
     * Reads a payload written with the schema version named in {@code headers} ({@value #SCHEMA_VERSION_HEADER}).
     *
     * @throws InvalidMessageException if the type, version or bytes do not fit
     */
    public <T> T deserialize(String type, Map<String, String> headers, byte[] payload, Class<T> target) {
        List<Schema> versions = schemas.versions(type);
        if (payload == null) {
            throw new InvalidMessageException("type " + type + ": the payload must not be null");
        }
        if (target == null) {
            throw new InvalidMessageException("type " + type + ": the target class must not be null");
        }
        int version = writerVersion(type, headers == null ? Map.of() : headers, versions.size());
        Schema writer = versions.get(version - 1);
        try {
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(payload, null);
            Object result;
            if (SpecificRecord.class.isAssignableFrom(target)) {
                Schema reader = SpecificData.get().getSchema(target);
                result = new SpecificDatumReader<>(writer, reader).read(null, decoder);
            } else {
                Schema reader = versions.get(versions.size() - 1);
                Object datum = new GenericDatumReader<>(writer, reader, GenericData.get()).read(null, decoder);
                result = new FromAvro(type, version).convert(datum, reader, target, "");
            }
            if (!decoder.isEnd()) {
                throw new InvalidMessageException("type " + type + " (schema v" + version + "): the payload has bytes"
                        + " left after the value: it was not written with this schema");
            }
            return target.cast(result);
        } catch (InvalidMessageException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new InvalidMessageException(
                    "type " + type + " (schema v" + version + "): could not read the payload as " + target.getName()
                            + ": " + e,
                    e);
        }
    }

    private int writerVersion(String type, Map<String, String> headers, int known) {
        String header = headers.get(SCHEMA_VERSION_HEADER);
        if (header == null) {
            if (known == 1) {
                return 1;
            }
            throw new InvalidMessageException("type " + type + " has " + known + " schema versions and the payload's"
                    + " header " + SCHEMA_VERSION_HEADER + " is missing: read it with read(IncomingMessage, Class) or"
                    + " deserialize(type, headers, payload, target) so the writer's version is known");
        }
        int version;
        try {
            version = Integer.parseInt(header.trim());
        } catch (NumberFormatException e) {
            version = -1;
        }
        if (version < 1) {
            throw new InvalidMessageException(
                    "header " + SCHEMA_VERSION_HEADER + " must be a positive number, was '" + header + "'");
        }
        if (version > known) {
            throw new InvalidMessageException("type " + type + " was written with schema version " + version
                    + ", but only versions 1 to " + known + " are on this classpath: deploy "
                    + schemas.resource(type, version) + " to this reader");
        }
        return version;
    }

    private static void checkContentType(String type, String contentType) {
        String media =
                contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (!media.equals(CONTENT_TYPE)) {
            throw new InvalidMessageException(
                    "type " + type + ": content type '" + contentType + "' is not " + CONTENT_TYPE);
        }
    }

    /** Builds an {@link AvroMessageSerializer}. Not thread-safe. */
    public static final class Builder {
        private String root = DEFAULT_ROOT;
        private ClassLoader classLoader;

        private Builder() {}

        /** The classpath folder of the schema files. Default {@value #DEFAULT_ROOT}. */
        public Builder root(String root) {
            this.root = root;
            return this;
        }

        /**
         * The class loader to find schema files with. Default: the building thread's context class loader, else this
         * library's.
         */
        public Builder classLoader(ClassLoader classLoader) {
            this.classLoader = classLoader;
            return this;
        }

        /** @throws InvalidConfigurationException if the root is blank */
        public AvroMessageSerializer build() {
            if (root == null || root.isBlank()) {
                throw new InvalidConfigurationException("root must name a classpath folder, was '" + root + "'");
            }
            String folder = root.strip().replaceAll("^/+|/+$", "");
            ClassLoader loader = classLoader != null
                    ? classLoader
                    : Thread.currentThread().getContextClassLoader() != null
                            ? Thread.currentThread().getContextClassLoader()
                            : AvroMessageSerializer.class.getClassLoader();
            return new AvroMessageSerializer(new SchemaFiles(loader, folder));
        }
    }
}
