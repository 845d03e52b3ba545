package dev.outbox.tracing.opentelemetry;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Recording a failure on a span, the same way everywhere. */
final class Spans {
    private Spans() {}

    /** Marks {@code span} failed with {@code error}: status ERROR with the message, {@code error.type}, the exception. */
    static void fail(Span span, Throwable error) {
        if (!span.isRecording()) {
            return;
        }
        Throwable e = unwrap(error);
        span.setStatus(StatusCode.ERROR, String.valueOf(e.getMessage()));
        span.setAttribute(TracingAttributes.ERROR_TYPE, e.getClass().getName());
        span.recordException(e);
    }

    /** The exception inside the wrappers that futures add. */
    static Throwable unwrap(Throwable error) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
