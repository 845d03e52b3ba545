/** Guice wiring of the Avro serializer: {@link dev.outbox.serializer.avro.guice.AvroSerializerModule}. */
package dev.outbox.serializer.avro.guice;
