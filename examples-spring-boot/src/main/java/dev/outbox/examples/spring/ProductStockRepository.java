package dev.outbox.examples.spring;

import jakarta.persistence.LockModeType;
import java.util.Optional;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Lock;
import org.springframework.data.jpa.repository.Query;

/** Spring Data JPA's repository of {@link ProductStock}. */
public interface ProductStockRepository extends JpaRepository<ProductStock, String> {
    /** A product's stock, locked ({@code select ... for update}) until the transaction ends. */
    @Lock(LockModeType.PESSIMISTIC_WRITE)
    @Query("select p from ProductStock p where p.sku = ?1")
    Optional<ProductStock> lock(String sku);
}
