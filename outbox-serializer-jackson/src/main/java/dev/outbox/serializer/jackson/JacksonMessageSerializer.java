package dev.outbox.serializer.jackson;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.MapperConfig;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.jsontype.PolymorphicTypeValidator;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.InvalidMessageException;
import dev.outbox.spi.MessageSerializer;
import dev.outbox.spi.SerializedPayload;
import java.io.IOException;
import java.util.Locale;

/**
 * A {@link MessageSerializer} that writes events as JSON with Jackson: records, POJOs (a no-argument constructor and
 * setters, or a {@code @JsonCreator}), collections, {@code Optional} and {@code java.time} values.
 *
 * <p>The content type is {@value #CONTENT_TYPE}; no extra headers are written. The event's type name travels in the
 * envelope, never in the payload.
 *
 * <p>Choices made by the default mapper ({@link #create()}):
 *
 * <ul>
 *   <li>{@code java.time} values are ISO-8601 text ({@code "2026-03-01T10:15:30Z"}, {@code "2026-03-01"}, {@code
 *       "PT1H30M"}), never numeric timestamps. An {@code OffsetDateTime} keeps its offset when read back; a {@code
 *       ZonedDateTime} is written with its offset only (no region id, which other languages do not parse) and is read
 *       back with that offset: the same instant, compare with {@code isEqual}.
 *   <li>Unknown properties are <b>ignored</b> when reading: a producer may add a field before every consumer knows it,
 *       and the consumers keep working (the tolerant reader). Missing properties are read as {@code null}, zero or
 *       false.
 *   <li>Trailing content after the JSON value is refused, as is an empty payload or a JSON {@code null}.
 *   <li>An object with nothing to write (no public fields or getters) is refused, so that a class that would silently
 *       be sent as {@code {}} fails at the append instead.
 * </ul>
 *
 * <p>Safety, for the default mapper and for one given to {@link #create(ObjectMapper)} alike: default typing is off,
 * and class names in the payload are never used to choose what to instantiate. A property typed {@code Object} reads
 * as maps, lists and plain values whatever hints the payload carries; a class annotated {@code
 * @JsonTypeInfo(use = Id.CLASS)} or {@code Id.MINIMAL_CLASS} cannot be read. Polymorphism by logical names ({@code
 * Id.NAME} with {@code @JsonSubTypes}) works, because the names map to classes the application listed itself.
 *
 * <p>Failures throw {@link InvalidMessageException} naming the event type and class. Thread-safe; the mapper is never
 * changed after construction.
 */
public final class JacksonMessageSerializer implements MessageSerializer {

    /** The content type of every payload written: {@value}. */
    public static final String CONTENT_TYPE = "application/json";

    /** Refuses every class name read from a payload; logical type names do not reach it. */
    private static final PolymorphicTypeValidator NO_CLASS_NAMES = new PolymorphicTypeValidator.Base() {
        private static final long serialVersionUID = 1L;

        @Override
        public Validity validateSubClassName(MapperConfig<?> config, JavaType baseType, String subClassName) {
            return Validity.DENIED;
        }

        @Override
        public Validity validateSubType(MapperConfig<?> config, JavaType baseType, JavaType subType) {
            return Validity.DENIED;
        }
    };

    private final ObjectMapper mapper;

    private JacksonMessageSerializer(ObjectMapper mapper) {
        mapper.deactivateDefaultTyping();
        mapper.setPolymorphicTypeValidator(NO_CLASS_NAMES);
        this.mapper = mapper;
    }

    /** A serializer on the default mapper described above. */
    public static JacksonMessageSerializer create() {
        return new JacksonMessageSerializer(defaultObjectMapper());
    }

    /**
     * A serializer on a copy of the caller's mapper: its modules, features and naming strategy are kept, later changes
     * to it do not reach the serializer, and default typing and class names from the wire are turned off on the copy
     * (see above). Nothing is added to it: register {@code JavaTimeModule} yourself if you need {@code java.time}, or
     * start from {@link #defaultObjectMapper()}.
     *
     * @param objectMapper a mapper for JSON
     * @throws InvalidConfigurationException if it is null, is not for JSON, or cannot be copied (a subclass that does
     *     not override {@code copy()})
     */
    public static JacksonMessageSerializer create(ObjectMapper objectMapper) {
        if (objectMapper == null) {
            throw new InvalidConfigurationException("objectMapper must not be null");
        }
        JsonFactory factory = objectMapper.getFactory();
        if (!JsonFactory.FORMAT_NAME_JSON.equals(factory.getFormatName())) {
            throw new InvalidConfigurationException("objectMapper must write JSON, but its factory writes "
                    + factory.getFormatName() + ": the payloads would not be " + CONTENT_TYPE);
        }
        ObjectMapper copy;
        try {
            copy = objectMapper.copy();
        } catch (IllegalStateException e) {
            throw new InvalidConfigurationException(
                    "objectMapper cannot be copied: " + objectMapper.getClass().getName()
                            + " must override copy() so the serializer can keep its own copy",
                    e);
        }
        return new JacksonMessageSerializer(copy);
    }

    /**
     * A new mapper configured as {@link #create()} uses it, to adjust and pass to {@link #create(ObjectMapper)}. The
     * caller owns it.
     */
    public static ObjectMapper defaultObjectMapper() {
        return JsonMapper.builder()
                .addModule(new JavaTimeModule())
                .addModule(new Jdk8Module())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
                .disable(SerializationFeature.WRITE_DATES_WITH_ZONE_ID)
                .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .build();
    }

    /**
     * Writes {@code value} as JSON.
     *
     * @throws InvalidMessageException if the value is null or Jackson cannot write it; the message names its class and
     *     {@code type}
     */
    @Override
    public SerializedPayload serialize(String type, Object value) {
        if (value == null) {
            throw new InvalidMessageException("cannot serialize a null value as type '" + type + "'");
        }
        try {
            return SerializedPayload.of(mapper.writeValueAsBytes(value), CONTENT_TYPE);
        } catch (JsonProcessingException e) {
            throw new InvalidMessageException(
                    "cannot serialize " + value.getClass().getName() + " as type '" + type + "' to JSON: "
                            + e.getOriginalMessage(),
                    e);
        } catch (RuntimeException e) {
            // A getter that throws surfaces here, wrapped or not, depending on the Jackson feature set.
            throw new InvalidMessageException(
                    "cannot serialize " + value.getClass().getName() + " as type '" + type + "' to JSON: " + e, e);
        }
    }

    /**
     * Reads a JSON payload into {@code target}.
     *
     * @param contentType must be {@code application/json} or a {@code +json} type, parameters such as {@code charset}
     *     allowed
     * @throws InvalidMessageException if the content type is not JSON, or the bytes are not one JSON value that fits
     *     {@code target} (empty, malformed, trailing content, a JSON {@code null}, a wrong shape); the message names
     *     {@code type} and {@code target}
     */
    @Override
    public <T> T deserialize(String type, String contentType, byte[] payload, Class<T> target) {
        if (target == null) {
            throw new InvalidMessageException("target must not be null to read type '" + type + "'");
        }
        if (payload == null) {
            throw new InvalidMessageException("payload must not be null to read type '" + type + "'");
        }
        if (!isJson(contentType)) {
            throw new InvalidMessageException("cannot read type '" + type + "' as " + target.getName()
                    + ": content type '" + contentType + "' is not JSON");
        }
        T value;
        try {
            value = mapper.readValue(payload, target);
        } catch (JsonProcessingException e) {
            throw new InvalidMessageException(
                    "cannot read type '" + type + "' as " + target.getName() + ": " + e.getOriginalMessage(), e);
        } catch (IOException | RuntimeException e) {
            throw new InvalidMessageException("cannot read type '" + type + "' as " + target.getName() + ": " + e, e);
        }
        if (value == null) {
            throw new InvalidMessageException(
                    "cannot read type '" + type + "' as " + target.getName() + ": the payload is JSON null");
        }
        return value;
    }

    private static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        int semicolon = contentType.indexOf(';');
        String media = (semicolon < 0 ? contentType : contentType.substring(0, semicolon))
                .trim()
                .toLowerCase(Locale.ROOT);
        return media.equals(CONTENT_TYPE) || (media.startsWith("application/") && media.endsWith("+json"));
    }

    @Override
    public String toString() {
        return "JacksonMessageSerializer[" + CONTENT_TYPE + "]";
    }
}
