/**
 * The Avro {@link dev.outbox.spi.MessageSerializer}: {@link dev.outbox.serializer.avro.AvroMessageSerializer} writes
 * events in Avro's plain binary encoding against versioned schema files on the classpath, and reads them back with
 * schema resolution (a newer reader schema reads what an older one wrote).
 */
package dev.outbox.serializer.avro;
