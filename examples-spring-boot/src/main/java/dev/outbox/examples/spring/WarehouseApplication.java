package dev.outbox.examples.spring;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** The warehouse web service. Its data source, broker and outbox settings are in {@code application.properties}. */
@SpringBootApplication
public class WarehouseApplication {
    /** Runs it. */
    public static void main(String[] args) {
        SpringApplication.run(WarehouseApplication.class, args);
    }
}
