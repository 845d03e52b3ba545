package dev.outbox;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names the type an event class is sent as. Without it the type is the class's simple name. The name, not the class,
 * travels on the wire, so a class can be renamed or moved without breaking consumers.
 *
 * <pre>{@code
 * @EventType("ProductQuantityIncreased")
 * record QuantityIncreased(String sku, int quantity) {}
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface EventType {
    /** The type name; not blank. */
    String value();
}
