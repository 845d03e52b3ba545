package dev.outbox.examples.spring;

import dev.outbox.examples.warehouse.InsufficientQuantityOnHand;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The warehouse's HTTP API: {@code GET /warehouse/products} reads the products view (the read side, kept by a
 * consumer, so it catches up shortly after a command); the two commands change the stock.
 */
@RestController
@RequestMapping("/warehouse/products")
class WarehouseController {
    private final WarehouseService warehouse;
    private final JdbcClient jdbc;

    WarehouseController(WarehouseService warehouse, JdbcClient jdbc) {
        this.warehouse = warehouse;
        this.jdbc = jdbc;
    }

    /** A command's body. */
    record QuantityRequest(int quantity) {}

    /** A product as the view shows it, or as a command left it. */
    record ProductQuantity(String sku, int quantity) {}

    @GetMapping
    List<ProductQuantity> products() {
        return jdbc.sql("select sku, quantity from products_view order by sku")
                .query(ProductQuantity.class)
                .list();
    }

    @PostMapping("/{sku}/increase_quantity")
    ProductQuantity increase(@PathVariable String sku, @RequestBody QuantityRequest request) {
        return new ProductQuantity(sku, warehouse.increase(sku, positive(request.quantity())));
    }

    @PostMapping("/{sku}/ship_quantity")
    ProductQuantity ship(@PathVariable String sku, @RequestBody QuantityRequest request) {
        return new ProductQuantity(sku, warehouse.ship(sku, positive(request.quantity())));
    }

    @ExceptionHandler(InsufficientQuantityOnHand.class)
    ResponseEntity<Map<String, Object>> insufficient(InsufficientQuantityOnHand e) {
        return ResponseEntity.status(HttpStatus.BAD_REQUEST)
                .body(Map.of(
                        "error", "InsufficientQuantityOnHand",
                        "message", e.getMessage(),
                        "sku", e.sku(),
                        "onHand", e.onHand(),
                        "requested", e.requested()));
    }

    @ExceptionHandler(IllegalArgumentException.class)
    ResponseEntity<Map<String, Object>> invalid(IllegalArgumentException e) {
        return ResponseEntity.status(HttpStatus.BAD_REQUEST)
                .body(Map.of("error", "invalid", "message", e.getMessage()));
    }

    private static int positive(int quantity) {
        if (quantity <= 0) {
            throw new IllegalArgumentException("quantity must be positive, was " + quantity);
        }
        return quantity;
    }
}
